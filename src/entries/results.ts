/**
 * `stowage/results`: the public entry of the results layer, with every built-in store type
 * registered so URLs and configs open from here alone.
 *
 * @packageDocumentation
 */
import '../builtin-stores.ts';

export * from '../results/index.ts';
