import { ValueTypeError } from '../core/errors.ts';

/** A schema with zod's `safeParse` shape (zod, valibot adapters, ...). */
export interface ValueSchema<T> {
  /** Checks `value`: the parsed value on success, the error otherwise. */
  safeParse(value: unknown): SchemaResult<T>;
}

/** What {@link ValueSchema.safeParse} returns. */
export type SchemaResult<T> =
  | {
      /** The value passed. */
      success: true;
      /** The value as the schema parsed it. */
      data: T;
    }
  | {
      /** The value failed. */
      success: false;
      /** Why (zod's error, or any other). */
      error: unknown;
    };

/** A class whose instances the dict accepts; `String`, `Number`, `Boolean` and `BigInt` mean the primitives. */
// biome-ignore lint/suspicious/noExplicitAny: any constructor signature is acceptable here.
export type ValueClass = abstract new (...args: any[]) => unknown;

const PRIMITIVES = new Map<unknown, string>([
  [String, 'string'],
  [Number, 'number'],
  [Boolean, 'boolean'],
  [BigInt, 'bigint'],
]);

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return (value as object).constructor?.name ?? 'object';
}

/**
 * Checks values against a `valueType` and/or a schema. `when` says whether the value is
 * being written (nothing is written on failure) or was read back from the store.
 */
export function checkValue<T>(
  value: unknown,
  rules: { valueType?: ValueClass | undefined; schema?: ValueSchema<T> | undefined },
  context: { key: string; backend: string; when: 'write' | 'read' },
): T {
  const { valueType, schema } = rules;
  const problem = (detail: string) =>
    new ValueTypeError(
      context.when === 'write'
        ? `Value rejected before writing: ${detail}`
        : `Stored value no longer fits the dict's type: ${detail}`,
      { key: context.key, backend: context.backend },
    );
  if (valueType) {
    const primitive = PRIMITIVES.get(valueType);
    const ok = primitive ? typeof value === primitive : value instanceof valueType;
    if (!ok) throw problem(`expected ${primitive ?? valueType.name}, got ${describeValue(value)}`);
  }
  if (schema) {
    const result = schema.safeParse(value);
    if (!result.success) {
      const message = (result.error as { message?: string })?.message ?? String(result.error);
      throw problem(`schema check failed: ${message}`);
    }
  }
  return value as T;
}
