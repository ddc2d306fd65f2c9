/**
 * `stowage/codecs`: every codec (json, msgpack, v8, text, raw), compression, and the
 * value encoding helpers layers use.
 *
 * @packageDocumentation
 */
export * from '../core/codecs/index.ts';
