import { describe, expect, it } from 'vitest';
import {
  compressionAvailable,
  decodeValue,
  encodeValue,
  jsonCodec,
  msgpackCodec,
  rawCodec,
  textCodec,
  v8Codec,
} from '../../src/entries/codecs.ts';
import { CorruptValueError, getCodec, OperationError, registerClass, SerializationError } from '../../src/index.ts';

describe('codecs', () => {
  it('json round-trips JSON values and rejects what JSON cannot hold', () => {
    const value = { a: [1, 'x', null, true], b: { c: 1.5 } };
    expect(jsonCodec.decode(jsonCodec.encode(value))).toEqual(value);
    expect(() => encodeValue(jsonCodec, 10n, { key: 'k' })).toThrow(SerializationError);
    expect(() => encodeValue(jsonCodec, undefined, { key: 'k' })).toThrow(/codec json/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const error = (() => {
      try {
        encodeValue(jsonCodec, cyclic, { key: 'runs/x', backend: 'memory://' });
      } catch (e) {
        return e as SerializationError;
      }
    })();
    expect(error).toBeInstanceOf(SerializationError);
    expect(error?.message).toContain("'runs/x'");
    expect(error?.codec).toBe('json');
  });

  it('msgpack keeps typed arrays, Date, Map, Set, BigInt and undefined, and objects stay objects', () => {
    const value = {
      f64: new Float64Array([1.5, -2]),
      i32: new Int32Array([7]),
      when: new Date(1_700_000_000_000),
      map: new Map<unknown, unknown>([
        [1, 'one'],
        ['k', new Map([['inner', [1, 2]]])],
      ]),
      set: new Set(['a', 'b']),
      big: 2n ** 80n,
      missing: undefined,
      list: [{ x: 1 }, new Map([['y', 2]])],
    };
    const back = msgpackCodec.decode(msgpackCodec.encode(value)) as typeof value;
    expect(back).toEqual(value);
    expect(back.map).toBeInstanceOf(Map);
    expect(back.map.get('k')).toBeInstanceOf(Map);
    expect(back.list[1]).toBeInstanceOf(Map);
    expect(Object.getPrototypeOf(back.list[0])).toBe(Object.prototype);
    expect(back.f64).toBeInstanceOf(Float64Array);
    expect(() => encodeValue(msgpackCodec, () => 1)).toThrow(SerializationError);
  });

  it('msgpack does not copy values without maps', () => {
    const value = { a: [1, 2, { b: 'c' }] };
    expect(msgpackCodec.decode(msgpackCodec.encode(value))).toEqual(value);
  });

  it('v8, text and raw round-trip', () => {
    const v = { m: new Map([[1, new Set([2])]]), d: new Date(5) };
    expect(v8Codec.decode(v8Codec.encode(v))).toEqual(v);
    expect(textCodec.decode(textCodec.encode('héllo \u{1F600}'))).toBe('héllo \u{1F600}');
    expect(() => encodeValue(textCodec, 5 as unknown as string)).toThrow(SerializationError);
    const raw = new Uint8Array([1, 2, 3]);
    const encoded = rawCodec.encode(raw);
    raw[0] = 9;
    expect([...rawCodec.decode(encoded)]).toEqual([1, 2, 3]);
  });

  it('compresses with gzip and brotli, and says clearly when zstd is missing', () => {
    const value = { text: 'x'.repeat(10_000) };
    for (const name of ['json+gzip', 'msgpack+brotli']) {
      const codec = getCodec(name);
      const encoded = codec.encode(value);
      expect(encoded.byteLength).toBeLessThan(500);
      expect(codec.decode(encoded)).toEqual(value);
      expect(codec.name).toBe(name);
    }
    if (compressionAvailable('zstd')) expect(getCodec('json+zstd').decode(getCodec('json+zstd').encode(1))).toBe(1);
    else expect(() => getCodec('json+zstd')).toThrow(/Node 22\.15/);
    expect(() => getCodec('yaml')).toThrow(OperationError);
  });

  it('reports undecodable bytes as CorruptValueError naming the key', () => {
    const garbage = new Uint8Array([0xff, 0xfe, 0x00, 0x7b]);
    for (const codec of [jsonCodec, textCodec, getCodec('json+gzip')]) {
      expect(() => decodeValue(codec, garbage, { key: 'a/b' })).toThrow(CorruptValueError);
      expect(() => decodeValue(codec, garbage, { key: 'a/b' })).toThrow(/'a\/b'/);
    }
  });
});

class Vec {
  constructor(
    readonly xs: Float64Array,
    readonly label: string,
  ) {}
}
class Box {
  constructor(readonly inner: unknown) {}
}
registerClass({
  name: 'test.Vec',
  Class: Vec,
  encode: (v) => ({ xs: [...v.xs], label: v.label }),
  decode: (data) => {
    const { xs, label } = data as { xs: number[]; label: string };
    return new Vec(Float64Array.from(xs), label);
  },
});
registerClass({ name: 'test.Box', Class: Box });

describe('registered classes', () => {
  for (const name of ['json', 'msgpack']) {
    const codec = getCodec(name);
    it(`${name}: come back as instances, nested and inside containers`, () => {
      const value = { list: [new Box(new Vec(Float64Array.of(1, 2), 'v'))], plain: { a: 1 } };
      const back = codec.decode(codec.encode(value)) as typeof value;
      const box = back.list[0] as Box;
      expect(box).toBeInstanceOf(Box);
      expect(box.inner).toBeInstanceOf(Vec);
      expect([...(box.inner as Vec).xs]).toEqual([1, 2]);
      expect(back.plain).toEqual({ a: 1 });
    });

    it(`${name}: keep user objects that have a $class key as plain objects`, () => {
      const value = { $class: 'test.Box', $data: 1, nested: { $$class: 'x', ok: true } };
      expect(codec.decode(codec.encode(value))).toEqual(value);
    });

    it(`${name}: refuse an unregistered class instance with a typed error naming it`, () => {
      class Stranger {
        readonly a = 1;
      }
      expect(() => codec.encode({ deep: [new Stranger()] })).toThrow(SerializationError);
      expect(() => encodeValue(codec, new Stranger(), { key: 'runs/x' })).toThrow(/Stranger.*registerClass.*runs\/x/s);
    });
  }

  it('json refuses Map, Set and typed arrays instead of silently storing {}', () => {
    const json = getCodec('json');
    for (const value of [new Map([[1, 2]]), new Set([1]), new Float64Array(2)]) {
      expect(() => json.encode(value)).toThrow(SerializationError);
    }
    expect(json.decode(json.encode({ d: new Date(0) }))).toEqual({ d: '1970-01-01T00:00:00.000Z' });
  });

  it('reads a value naming a class this process has not registered as CorruptValueError', () => {
    const bytes = new TextEncoder().encode('{"$class":"nowhere.Gone","$data":{}}');
    expect(() => decodeValue(getCodec('json'), bytes, { key: 'k' })).toThrow(CorruptValueError);
    expect(() => decodeValue(getCodec('json'), bytes, { key: 'k' })).toThrow(/nowhere\.Gone/);
  });

  it('refuses conflicting registrations and reserved names', () => {
    class Other {}
    expect(() => registerClass({ name: 'test.Box', Class: Other })).toThrow(OperationError);
    expect(() => registerClass({ name: 'test.Other', Class: Box })).toThrow(OperationError);
    expect(() => registerClass({ name: '$x', Class: Other })).toThrow(OperationError);
    expect(() => registerClass({ name: 'test.Box', Class: Box })).not.toThrow();
  });

  it('codecs got by name throw typed errors on their own, outside any store', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => getCodec('json').encode(10n)).toThrow(SerializationError);
    expect(() => getCodec('json').encode(cyclic)).toThrow(SerializationError);
    expect(() => getCodec('msgpack').encode(() => 1)).toThrow(SerializationError);
    expect(() => getCodec('json').decode(new Uint8Array([0x7b]))).toThrow(CorruptValueError);
  });

  it('msgpack refuses the never-used byte 0xc1 instead of decoding it as an object', () => {
    const msgpack = getCodec('msgpack');
    expect(() => msgpack.decode(new Uint8Array([0xc1]))).toThrow(CorruptValueError);
    expect(() => msgpack.decode(new Uint8Array([0x92, 0x01, 0xc1]))).toThrow(CorruptValueError); // [1, 0xc1]
    expect(() => msgpack.decode(new Uint8Array([0x81, 0xa1, 0x61, 0xc1]))).toThrow(CorruptValueError); // {a: 0xc1}
    // The byte inside binary data, strings or numbers is data, not the marker.
    const value = { bin: new Uint8Array([0xc1, 0xc1]), x: -8.5, s: 'Á' };
    const encoded = msgpack.encode(value);
    expect(encoded.includes(0xc1)).toBe(true);
    expect(msgpack.decode(encoded)).toEqual(value);
  });

  // Found by the codec fuzz (test/reliability/bad-input.test.ts): zlib's own errors escaped.
  it('compressed bytes that do not decompress are a CorruptValueError naming the key', () => {
    for (const kind of ['gzip', 'brotli', ...(compressionAvailable('zstd') ? ['zstd'] : [])]) {
      const codec = getCodec(`json+${kind}`);
      const good = codec.encode({ a: 1 });
      for (const bytes of [good.slice(0, good.length - 3), new Uint8Array([1, 2, 3, 4, 5])]) {
        const error = (() => {
          try {
            decodeValue(codec, bytes, { key: 'k/1', backend: 'test' });
          } catch (e) {
            return e;
          }
        })();
        expect(error, kind).toBeInstanceOf(CorruptValueError);
        expect((error as CorruptValueError).key).toBe('k/1');
      }
    }
  });
});
