export { DELETE_CURRENT, isJoker, type Joker, KEEP_CURRENT } from './jokers.ts';
export {
  type IterateOptions,
  PersiDict,
  type PersiDictConfig,
  type PersiDictOptions,
  type UpdateOptions,
} from './persi-dict.ts';
export type { SchemaResult, ValueClass, ValueSchema } from './value-check.ts';
