/**
 * `stowage/cas`: the public entry of the cas layer, with every built-in store type
 * registered so URLs and configs open from here alone.
 *
 * @packageDocumentation
 */
import '../builtin-stores.ts';

export * from '../cas/index.ts';
