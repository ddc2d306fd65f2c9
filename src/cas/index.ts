export { type CallQuery, type CallRecord, CallStore, callDigest, type StoredCall } from './call-store.ts';
export { digestOf } from './digest.ts';
export { createMemoStore, type Memoized, type MemoizeOptions, type MemoStore, memoize } from './memoize.ts';
export { type GcReport, type ValuePutOptions, ValueStore, type ValueStoreOptions } from './value-store.ts';
