/**
 * `stowage/dict`: the public entry of the dict layer, with every built-in store type
 * registered so URLs and configs open from here alone.
 *
 * @packageDocumentation
 */
import '../builtin-stores.ts';

export * from '../dict/index.ts';
