import { OperationError } from '../errors.ts';

/** Any class whose instances are `T`, whatever its constructor takes. */
// biome-ignore lint/suspicious/noExplicitAny: any constructor signature is acceptable here.
export type ClassOf<T> = abstract new (...args: any[]) => T;

/** A class that the json and msgpack codecs store and bring back as instances. */
export interface RegisteredClass<T extends object = object> {
  /**
   * The stable name stored with each instance. It is what a reader looks up, so it must
   * not change when the class is renamed or moved; two classes cannot share one.
   */
  readonly name: string;
  /** The class itself. Instances of subclasses need their own registration. */
  readonly Class: ClassOf<T>;
  /**
   * Turns an instance into data the codec can encode (plain objects, arrays, numbers,
   * strings, ...; with msgpack also typed arrays, Map, Set, Date and other registered
   * classes). Default: the instance's own enumerable properties.
   */
  readonly encode?: ((instance: T) => unknown) | undefined;
  /**
   * Rebuilds an instance from that data. Default: an object with the class's prototype
   * and the properties copied in, without running the constructor.
   */
  readonly decode?: ((data: unknown) => T) | undefined;
}

interface Entry {
  readonly name: string;
  readonly Class: RegisteredClass['Class'];
  readonly encode: (instance: object) => unknown;
  readonly decode: (data: unknown) => object;
}

const byName = new Map<string, Entry>();
const byClass = new Map<unknown, Entry>();
const listeners: ((entry: Entry) => void)[] = [];

/**
 * Registers a class with the json and msgpack codecs, so its instances round-trip as
 * instances (a `PersiDict({ valueType: Point })` gets `Point`s back). The registry is
 * process-wide: register the same classes, under the same names, in every process that
 * reads the store. Registering the same class under the same name again is a no-op.
 *
 * Without a registration an instance of a class is refused with a
 * {@link SerializationError} before anything is written, rather than stored as a plain
 * object that reads back as something else.
 *
 * @example
 * ```ts
 * class Point { constructor(public x = 0, public y = 0) {} }
 * registerClass({ name: 'geometry.Point', Class: Point });
 * const dict = new PersiDict<Point>({ backend, valueType: Point });
 * await dict.set('p', new Point(3, 4));
 * (await dict.get('p')) instanceof Point; // true
 * ```
 */
export function registerClass<T extends object>(definition: RegisteredClass<T>): void {
  const { name, Class } = definition;
  if (typeof name !== 'string' || name.length === 0) {
    throw new OperationError('registerClass needs a non-empty name');
  }
  if (typeof Class !== 'function') throw new OperationError(`registerClass('${name}') needs a class`);
  const sameName = byName.get(name);
  const sameClass = byClass.get(Class);
  if (sameName && sameName === sameClass) return;
  if (name.startsWith('$')) throw new OperationError(`Class names starting with '$' are reserved: '${name}'`);
  if (sameName) throw new OperationError(`The class name '${name}' is already registered for ${sameName.Class.name}`);
  if (sameClass) throw new OperationError(`${Class.name} is already registered as '${sameClass.name}'`);
  const entry: Entry = {
    name,
    Class,
    encode: (definition.encode as Entry['encode'] | undefined) ?? ((instance) => ({ ...instance })),
    decode:
      (definition.decode as Entry['decode'] | undefined) ??
      ((data) => Object.assign(Object.create(Class.prototype as object), data as object)),
  };
  byName.set(name, entry);
  byClass.set(Class, entry);
  for (const listener of listeners) listener(entry);
}

/** The registration of `value`'s own class (not a parent's), if any. */
export function registrationOf(value: object): Entry | undefined {
  return byClass.get(Object.getPrototypeOf(value)?.constructor);
}

/** The registration named `name`; a value naming an unknown class cannot be decoded. */
export function registrationNamed(name: unknown): Entry {
  const entry = typeof name === 'string' ? byName.get(name) : undefined;
  if (!entry) {
    throw new TypeError(`the stored value is an instance of the class '${String(name)}', which is not registered here`);
  }
  return entry;
}

/** Calls `listener` for every registration, past and future (the msgpack codec adds an extension per class). */
export function onClassRegistered(listener: (entry: Entry) => void): void {
  listeners.push(listener);
  for (const entry of byClass.values()) listener(entry);
}

/** The error for an instance of a class nobody registered (a codec turns it into a SerializationError). */
export function unregisteredClassError(value: object): TypeError {
  const name = Object.getPrototypeOf(value)?.constructor?.name || 'an anonymous class';
  return new TypeError(
    `an instance of ${name} would come back as a plain object; register the class with registerClass({ name, Class: ${name} })`,
  );
}
