/**
 * Serdes turn keys and values into bytes and back. `null` never reaches a serde: a null key or
 * value is a null in the record (a tombstone for values), as in Kafka.
 */
export interface Serde<T> {
  serialize(value: T): Buffer;
  deserialize(bytes: Buffer): T;
  /** Shown by describe(). */
  readonly name?: string;
}

/**
 * What a sink needs of a serde: to serialize the stream's values. Declared with a function
 * property (checked contravariantly), so a Serde<string> is accepted for a stream of string
 * literals, and a Serde<number> for a stream of strings is a compile error.
 */
export interface Serializer<T> {
  readonly serialize: (value: T) => Buffer;
  readonly name?: string;
}

/** Anything with a `parse(x: unknown): T` that throws on bad input, e.g. a zod schema. */
export interface Schema<T> {
  parse(input: unknown): T;
}

/**
 * JSON as UTF-8. With a schema, decoded values are validated (and typed) by `schema.parse`; a
 * value that fails validation fails to decode and goes to the dead-letter topic.
 */
export function json<T>(schema?: Schema<T>): Serde<T> {
  if (schema) {
    return {
      name: 'json(schema)',
      serialize: (v) => Buffer.from(JSON.stringify(v), 'utf8'),
      deserialize: (b) => schema.parse(JSON.parse(b.toString('utf8'))),
    };
  }
  return {
    name: 'json',
    serialize: (v) => Buffer.from(JSON.stringify(v), 'utf8'),
    deserialize: (b) => JSON.parse(b.toString('utf8')) as T,
  };
}

/** UTF-8 text. Keys written with it partition exactly like Java's StringSerializer keys. */
export function string(): Serde<string> {
  const serde: Serde<string> = {
    name: 'string',
    serialize: (v) => Buffer.from(v, 'utf8'),
    deserialize: (b) => b.toString('utf8'),
  };
  utf8Serdes.add(serde);
  return serde;
}

/** The serdes made by string(): their bytes are known to be UTF-8 (see StoreKeyCodec.id). */
const utf8Serdes = new WeakSet<object>();

/** @internal Whether `serde` came from string() (a custom serde named 'string' does not count). */
export function isUtf8Serde(serde: object): boolean {
  return utf8Serdes.has(serde);
}

/** The bytes as they are. */
export function bytes(): Serde<Buffer> {
  return { name: 'bytes', serialize: (v) => v, deserialize: (b) => b };
}

/** A user serde; `name` shows up in describe(). */
export function custom<T>(serde: { serialize(value: T): Buffer; deserialize(bytes: Buffer): T; name?: string }): Serde<T> {
  return { name: serde.name ?? 'custom', serialize: (v) => serde.serialize(v), deserialize: (b) => serde.deserialize(b) };
}

/** A window's key: the record key and the window's [start, end) in event time (ms). */
export interface Windowed<K> {
  readonly key: K;
  readonly start: number;
  readonly end: number;
}

/** Windowed keys as `[key bytes][start int64][end int64]`, the layout Kafka Streams uses plus the end. */
export function windowed<K>(inner: Serde<K>): Serde<Windowed<K>> {
  return {
    name: `windowed(${inner.name ?? 'custom'})`,
    serialize: (w) => {
      const k = inner.serialize(w.key);
      const out = Buffer.allocUnsafe(k.length + 16);
      out.set(k, 0);
      out.writeBigInt64BE(BigInt(w.start), k.length);
      out.writeBigInt64BE(BigInt(w.end), k.length + 8);
      return out;
    },
    deserialize: (b) => {
      const n = b.length - 16;
      return {
        key: inner.deserialize(b.subarray(0, n)),
        start: Number(b.readBigInt64BE(n)),
        end: Number(b.readBigInt64BE(n + 8)),
      };
    },
  };
}

/** Numbers as 8-byte big-endian doubles. */
export function float64(): Serde<number> {
  return {
    name: 'float64',
    serialize: (v) => {
      const b = Buffer.allocUnsafe(8);
      b.writeDoubleBE(v, 0);
      return b;
    },
    deserialize: (b) => b.readDoubleBE(0),
  };
}
