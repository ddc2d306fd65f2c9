/**
 * `stowage/tiered`: the public entry of the tiered layer, with every built-in store type
 * registered so URLs and configs open from here alone.
 *
 * @packageDocumentation
 */
import '../builtin-stores.ts';

export * from '../tiered/index.ts';
