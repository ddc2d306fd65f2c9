import { InvalidArgumentError } from 'commander';
import { getCodec } from '../core/codecs/index.ts';
import { isPlainObject, type JsonObject, nonJsonPart } from '../core/json.ts';

/**
 * Parses `--codec`: a name `getCodec` knows (json, msgpack, v8, text, raw, with +gzip,
 * +brotli or +zstd). An unknown one is a usage error (exit code 2), before any I/O.
 */
export function codecOption(value: string): string {
  try {
    getCodec(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return value;
}

/** Parses `--attrs`: a JSON object whose values JSON keeps as they are; anything else is a usage error. */
export function attrsOption(value: string): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError(`a JSON object is expected, e.g. '{"solver":"nsga2"}'; got ${value}`);
  }
  if (!isPlainObject(parsed)) {
    throw new InvalidArgumentError(`a JSON object is expected, e.g. '{"solver":"nsga2"}'; got ${value}`);
  }
  const bad = nonJsonPart(parsed, 'attrs');
  if (bad) throw new InvalidArgumentError(`${bad.path} is ${bad.found}`);
  return parsed as JsonObject;
}
