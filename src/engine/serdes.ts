/**
 * Serdes turn keys and values into bytes and back. `null` never reaches a serde: a null key or
 * value is a null in the record (a tombstone for values), as in Kafka.
 */
export interface Serde<T> {
  serialize(value: T): Buffer;
  deserialize(bytes: Buffer): T;
  /** Shown by describe(). */
  readonly name?: string;
  /**
   * Optional (Flink's TypeSerializer.copy): the value `deserialize(serialize(value))` would
   * return, made without the bytes — a new object sharing nothing mutable with `value` — or
   * `undefined` when this value needs the real round trip (then the bytes are made as usual).
   * A repartition that stays in one process (`localRepartition`) hands the reading task this copy
   * instead of serializing and parsing the record; see docs/semantics.md, "Values across a
   * repartition". It must not throw for a value serialize() accepts.
   */
  copy?(value: T): T | undefined;
  /**
   * Optional (Flink's TypeSerializer reading from a memory segment): what
   * `deserialize(bytes.subarray(start, end))` returns, read in place. The engine's sources call it
   * on the fetched bytes: a Buffer view per key and value costs more than decoding a short key or a
   * fixed-width value. It may keep `bytes` no more than deserialize may keep its argument.
   */
  deserializeRange?(bytes: Buffer, start: number, end: number): T;
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
      deserializeRange: (b, start, end) => schema.parse(JSON.parse(b.toString('utf8', start, end))),
    };
  }
  return {
    name: 'json',
    serialize: (v) => Buffer.from(JSON.stringify(v), 'utf8'),
    deserialize: (b) => JSON.parse(b.toString('utf8')) as T,
    deserializeRange: (b, start, end) => JSON.parse(b.toString('utf8', start, end)) as T,
    copy: (v) => jsonCopy(v) as T | undefined,
  };
}

/** UTF-8 text. Keys written with it partition exactly like Java's StringSerializer keys. */
export function string(): Serde<string> {
  const serde: Serde<string> = {
    name: 'string',
    serialize: utf8Bytes,
    deserialize: (b) => utf8Text(b, 0, b.length),
    deserializeRange: utf8Text,
    // UTF-8 replaces lone surrogates with U+FFFD, as toWellFormed() does; strings are immutable.
    copy: (v) => (typeof v === 'string' ? (v as WellFormable).toWellFormed() : undefined),
  };
  utf8Serdes.add(serde);
  return serde;
}

/**
 * `Buffer.from(s, 'utf8')`; a short ASCII string by a loop (its UTF-8 bytes are its char codes):
 * the call into C++ costs more than the copy, and keys are written once per record.
 */
function utf8Bytes(s: string): Buffer {
  if (typeof s === 'string' && s.length <= SHORT_ASCII) {
    const out = Buffer.allocUnsafe(s.length);
    if (writeAscii(out, 0, s)) return out;
  }
  return Buffer.from(s, 'utf8');
}

/** Writes `s` at `at` if it is all ASCII, and says whether it was (else some of it is written). */
function writeAscii(out: Buffer, at: number, s: string): boolean {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return false;
    out[at + i] = c;
  }
  return true;
}

/**
 * `b.toString('utf8', start, end)`; a short ASCII run by a loop (keys are read once per record and
 * then looked up in maps). Only up to SHORT_TEXT: longer concatenations make cons strings, which
 * every map lookup would have to flatten.
 */
function utf8Text(b: Buffer, start: number, end: number): string {
  if (end - start > SHORT_TEXT) return b.toString('utf8', start, end);
  let s = '';
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (c > 0x7f) return b.toString('utf8', start, end);
    s += String.fromCharCode(c);
  }
  return s;
}

/** Longest text utf8Text decodes by a loop (V8 concatenates shorter strings than 13 chars flat). */
const SHORT_TEXT = 12;

/** String.prototype.toWellFormed (Node 20; ES2024, newer than the lib this compiles against). */
type WellFormable = string & { toWellFormed(): string };

/** The serdes made by string(): their bytes are known to be UTF-8 (see StoreKeyCodec.id). */
const utf8Serdes = new WeakSet<object>();

/** @internal Whether `serde` came from string() (a custom serde named 'string' does not count). */
export function isUtf8Serde(serde: object): boolean {
  return utf8Serdes.has(serde);
}

/** The bytes as they are. */
export function bytes(): Serde<Buffer> {
  // The copy is a Buffer of its own, as a reader of the topic gets: writer and reader share no bytes.
  return { name: 'bytes', serialize: (v) => v, deserialize: (b) => b, copy: (v) => (Buffer.isBuffer(v) ? Buffer.from(v) : undefined) };
}

/** A user serde; `name` shows up in describe(). */
export function custom<T>(serde: {
  serialize(value: T): Buffer;
  deserialize(bytes: Buffer): T;
  name?: string;
  copy?(value: T): T | undefined;
  deserializeRange?(bytes: Buffer, start: number, end: number): T;
}): Serde<T> {
  const made: Serde<T> = { name: serde.name ?? 'custom', serialize: (v) => serde.serialize(v), deserialize: (b) => serde.deserialize(b) };
  if (serde.copy) made.copy = (v) => serde.copy!(v);
  if (serde.deserializeRange) made.deserializeRange = (b, start, end) => serde.deserializeRange!(b, start, end);
  return made;
}

/** A window's key: the record key and the window's [start, end) in event time (ms). */
export interface Windowed<K> {
  readonly key: K;
  readonly start: number;
  readonly end: number;
}

/**
 * `v` as a big-endian int64, as `writeBigInt64BE(BigInt(v))` writes it: safe integers (window
 * bounds) as two 32-bit halves, without a BigInt per write (a window operator emits a windowed key
 * per window); anything else through BigInt, which throws on fractions as before.
 */
function writeInt64(b: Buffer, at: number, v: number): void {
  if (!Number.isSafeInteger(v)) {
    b.writeBigInt64BE(BigInt(v), at);
    return;
  }
  const hi = Math.floor(v / TWO32);
  b.writeInt32BE(hi, at);
  b.writeUInt32BE(v - hi * TWO32, at + 4);
}

/** `Number(readBigInt64BE(at))`: exact without a BigInt when the value is a safe integer (its high half within ±2^21). */
function readInt64(b: Buffer, at: number): number {
  const hi = b.readInt32BE(at);
  if (hi >= 0x200000 || hi < -0x200000) return Number(b.readBigInt64BE(at));
  return hi * TWO32 + b.readUInt32BE(at + 4);
}

const TWO32 = 2 ** 32;
/** Strings up to this length are written char by char when ASCII (string(), windowed(string())): Buffer.from's call into C++ costs more. */
const SHORT_ASCII = 48;

/** Windowed keys as `[key bytes][start int64][end int64]`, the layout Kafka Streams uses plus the end. */
export function windowed<K>(inner: Serde<K>): Serde<Windowed<K>> {
  const utf8 = isUtf8Serde(inner);
  return {
    name: `windowed(${inner.name ?? 'custom'})`,
    serialize: (w) => {
      const key: unknown = w.key;
      if (utf8 && typeof key === 'string' && key.length <= SHORT_ASCII) {
        // A short ASCII key under string(): its UTF-8 bytes are its char codes, written straight
        // into the one Buffer (a window operator emits a windowed key per window and key).
        const n = key.length;
        const out = Buffer.allocUnsafe(n + 16);
        if (writeAscii(out, 0, key)) {
          writeInt64(out, n, w.start);
          writeInt64(out, n + 8, w.end);
          return out;
        }
      }
      const k = inner.serialize(w.key);
      const out = Buffer.allocUnsafe(k.length + 16);
      out.set(k, 0);
      writeInt64(out, k.length, w.start);
      writeInt64(out, k.length + 8, w.end);
      return out;
    },
    deserialize: (b) => {
      const n = b.length - 16;
      return {
        key: inner.deserialize(b.subarray(0, n)),
        start: readInt64(b, n),
        end: readInt64(b, n + 8),
      };
    },
    ...(inner.copy && {
      copy: (w: Windowed<K>): Windowed<K> | undefined => {
        // start and end survive the int64 round trip only as safe integers (BigInt() throws on fractions).
        if (!isInt64Exact(w.start) || !isInt64Exact(w.end)) return undefined;
        const key = inner.copy!(w.key);
        return key === undefined ? undefined : { key, start: w.start === 0 ? 0 : w.start, end: w.end === 0 ? 0 : w.end };
      },
    }),
  };
}

function isInt64Exact(n: number): boolean {
  return Number.isSafeInteger(n);
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
    deserializeRange: (b, start, end) => {
      // As readDoubleBE on the view would: a value shorter than 8 bytes is refused.
      if (end - start < 8) throw new RangeError(`float64: a value of ${end - start} bytes, not 8`);
      return b.readDoubleBE(start);
    },
    // Every number survives an IEEE double round trip (-0 and NaN included).
    copy: (v) => (typeof v === 'number' ? v : undefined),
  };
}

/** JSON.parse(JSON.stringify(v)) when jsonCopy cannot tell without the text: the copy is not made then. */
const NO_COPY = Symbol('no copy');
/** Deeper trees (or cycles, which JSON.stringify rejects) take the bytes path. */
const MAX_JSON_DEPTH = 64;

/**
 * What `JSON.parse(JSON.stringify(v))` returns, built directly: new plain objects and arrays,
 * JSON's own rules applied (an object's undefined, function and symbol members are left out, in
 * arrays they become null; NaN and ±Infinity become null, -0 becomes 0; own enumerable string
 * keys in their order). `undefined` when only the text can say: a toJSON method (Dates), a bigint
 * (stringify throws), a boxed primitive, a `__proto__` key (parse makes it an own property), a
 * cycle or a very deep tree, or a top-level value JSON turns into null or nothing.
 */
export function jsonCopy(v: unknown): unknown {
  if (v === null || v === undefined || typeof v === 'function' || typeof v === 'symbol') return undefined;
  if (typeof v === 'number' && !Number.isFinite(v)) return undefined;
  const c = copyJsonValue(v, 0);
  return c === NO_COPY ? undefined : c;
}

function copyJsonValue(v: unknown, depth: number): unknown {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      return Number.isFinite(v) ? (v === 0 ? 0 : v) : null;
    case 'object':
      break;
    default:
      return NO_COPY; // bigint (undefined/function/symbol are handled by the containers)
  }
  if (v === null) return null;
  if (depth >= MAX_JSON_DEPTH) return NO_COPY;
  const o = v as Record<string, unknown>;
  if (typeof o.toJSON === 'function' || v instanceof Number || v instanceof String || v instanceof Boolean) return NO_COPY;
  if (Array.isArray(v)) {
    const n = v.length;
    const out: unknown[] = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      const e: unknown = v[i];
      if (e === undefined || typeof e === 'function' || typeof e === 'symbol') out[i] = null;
      else if ((out[i] = copyJsonValue(e, depth + 1)) === NO_COPY) return NO_COPY;
    }
    return out;
  }
  const out: Record<string, unknown> = {};
  const keys = Object.keys(o);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const e = o[k];
    if (e === undefined || typeof e === 'function' || typeof e === 'symbol') continue;
    if (k === '__proto__') return NO_COPY;
    const c = copyJsonValue(e, depth + 1);
    if (c === NO_COPY) return NO_COPY;
    out[k] = c;
  }
  return out;
}
