import { deserialize as v8Deserialize, serialize as v8Serialize } from 'node:v8';
import type { RecordHeader } from '../records/record.js';
import { serializePlain } from './plain-serialize.js';
import { isUtf8Serde, type Serde } from './serdes.js';

/**
 * How the engine writes keys and values whose serde it does not know (a map() changed the type
 * and the user gave no serde). Three cases:
 *
 * - topics (repartition topics, and sinks without a serde): strings as UTF-8 and Buffers as they
 *   are — so string keys partition like Java's — anything else as JSON on external topics and as
 *   V8's structured-clone format on internal ones (faithful for Dates, Maps, bigints). A header
 *   names the format so the reading side decodes exactly what was written.
 * - store keys: the same choice behind a one-byte tag, since a store has no headers.
 * - store values: V8's structured-clone format.
 */
export const KEY_FORMAT_HEADER = 'tributary.key.format';
export const VALUE_FORMAT_HEADER = 'tributary.value.format';

type Format = 's' | 'b' | 'j' | 'v';

export function encodeAuto(v: unknown, internal: boolean): { bytes: Buffer; format: Format } {
  if (typeof v === 'string') return { bytes: Buffer.from(v, 'utf8'), format: 's' };
  if (Buffer.isBuffer(v)) return { bytes: v, format: 'b' };
  if (internal) return { bytes: v8Serialize(v), format: 'v' };
  return { bytes: Buffer.from(JSON.stringify(v) ?? 'null', 'utf8'), format: 'j' };
}

export function decodeAuto(bytes: Buffer, format: string | undefined): unknown {
  switch (format) {
    case 's':
      return bytes.toString('utf8');
    case 'j':
      return JSON.parse(bytes.toString('utf8'));
    case 'v':
      return v8Deserialize(bytes);
    default:
      return bytes;
  }
}

export function headerValue(headers: readonly RecordHeader[], key: string): Buffer | null | undefined {
  for (let i = headers.length - 1; i >= 0; i--) {
    const h = headers[i]!;
    if (h.key === key) return h.value;
  }
  return undefined;
}

/** TopicCodec.copy's answer when the value must go as bytes. */
export const NOT_COPIED: unique symbol = Symbol('not copied');

/** Encodes/decodes one side (key or value) of records on a topic, with a serde or the auto format. */
export class TopicCodec {
  private readonly formatHeaders = new Map<Format, RecordHeader>();

  /** Whether a string's bytes here are its UTF-8 (string()'s serde, or the auto format): a sink may hash an ASCII key without them. */
  readonly utf8Strings: boolean;

  constructor(
    private readonly serde: Serde<unknown> | undefined,
    private readonly header: string,
    private readonly internal: boolean,
  ) {
    this.utf8Strings = serde === undefined || isUtf8Serde(serde);
  }

  /** Whether encode() may push a format header (no serde: the auto format). */
  get addsHeader(): boolean {
    return this.serde === undefined;
  }

  get serdeName(): string {
    return this.serde ? (this.serde.name ?? 'custom') : 'auto';
  }

  /** Encodes v; when the auto format is used, pushes its header onto `headers`. */
  encode(v: unknown, headers: RecordHeader[]): Buffer | null {
    if (v === null || v === undefined) return null;
    if (this.serde) return this.serde.serialize(v);
    const { bytes, format } = encodeAuto(v, this.internal);
    headers.push(this.formatHeader(format));
    return bytes;
  }

  /**
   * What decode(encode(v)) gives, made without bytes (a repartition kept in this process, see
   * Serde.copy), pushing the format header encode() would; NOT_COPIED when the value needs the
   * bytes: a serde without `copy`, or one that declines this value; with the auto format, anything
   * but a string or a primitive of V8's format (objects keep V8's round trip).
   */
  copy(v: unknown, headers: RecordHeader[]): unknown {
    if (v === null || v === undefined) return null;
    const serde = this.serde;
    if (serde) {
      if (serde.copy === undefined) return NOT_COPIED;
      let c: unknown;
      try {
        c = serde.copy(v);
      } catch {
        return NOT_COPIED; // serialize() decides what happens to this value, as without the copy
      }
      return c === undefined || c === null ? NOT_COPIED : c;
    }
    switch (typeof v) {
      case 'string':
        headers.push(this.formatHeader('s'));
        return (v as string & { toWellFormed(): string }).toWellFormed();
      case 'number':
      case 'boolean':
      case 'bigint':
        // Internal topics write these in V8's format, which keeps every number (-0, NaN) and bigint exactly.
        if (!this.internal) return NOT_COPIED;
        headers.push(this.formatHeader('v'));
        return v;
      default:
        return NOT_COPIED;
    }
  }

  /** Whether records encoded by `other` decode with this codec to what `other.copy` made (same serde, same format rules). */
  sameAs(other: TopicCodec): boolean {
    return this.serde === other.serde && this.header === other.header && this.internal === other.internal;
  }

  decode(b: Buffer | null, headers: readonly RecordHeader[]): unknown {
    if (b === null) return null;
    if (this.serde) return this.serde.deserialize(b);
    return decodeAuto(b, this.format(headers));
  }

  /**
   * `decode(chunk.subarray(start, start + length), headers)` (length -1: null) without the view
   * where the serde reads in place (Serde.deserializeRange) or the auto format is a string.
   */
  decodeRange(chunk: Buffer, start: number, length: number, headers: readonly RecordHeader[]): unknown {
    if (length < 0) return null;
    const end = start + length;
    const serde = this.serde;
    if (serde) return serde.deserializeRange ? serde.deserializeRange(chunk, start, end) : serde.deserialize(chunk.subarray(start, end));
    const format = this.format(headers);
    return format === 's' ? chunk.toString('utf8', start, end) : decodeAuto(chunk.subarray(start, end), format);
  }

  private format(headers: readonly RecordHeader[]): string | undefined {
    const f = headerValue(headers, this.header);
    // One-byte formats: a one-character string V8 keeps cached, not a new string per record.
    return f ? (f.length === 1 ? String.fromCharCode(f[0]!) : f.toString('latin1')) : undefined;
  }

  /**
   * The header naming a format, one object per format and codec shared by every record written
   * with it (like the sink's stamp header): nothing downstream changes a header, and a header per
   * record was an allocation per record on every repartition.
   */
  private formatHeader(format: Format): RecordHeader {
    let h = this.formatHeaders.get(format);
    if (h === undefined) this.formatHeaders.set(format, (h = { key: this.header, value: Buffer.from(format, 'latin1') }));
    return h;
  }
}

/** Store keys: the key's serde when known, else the auto format behind a one-byte tag. */
export class StoreKeyCodec {
  /** Whether the serde is string()'s (UTF-8): asked once here, not per record in id() (a WeakSet lookup). */
  private readonly utf8: boolean;

  /** The key's serde; undefined: the auto format (interactive queries encode keys with it, see store-lookup.ts). */
  constructor(readonly serde: Serde<unknown> | undefined) {
    this.utf8 = serde !== undefined && isUtf8Serde(serde);
  }

  encode(k: unknown): Buffer {
    if (this.serde) return this.serde.serialize(k);
    const { bytes, format } = encodeAuto(k, true);
    const out = Buffer.allocUnsafe(bytes.length + 1);
    out[0] = format.charCodeAt(0);
    out.set(bytes, 1);
    return out;
  }

  decode(b: Buffer): unknown {
    if (this.serde) return this.serde.deserialize(b);
    return decodeAuto(b.subarray(1), String.fromCharCode(b[0]!));
  }

  /**
   * `encode(k).toString('latin1')`, the key's bytes as a JS map key. For an ASCII string under
   * the string serde or the auto format that string is known without encoding (UTF-8 of ASCII
   * is the same bytes, and latin1 maps bytes to the same char codes): no Buffer and no new
   * string per record.
   */
  id(k: unknown): string {
    if (typeof k === 'string' && isAscii(k)) {
      if (this.serde === undefined) return 's' + k;
      if (this.utf8) return k;
    }
    return this.encode(k).toString('latin1');
  }
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

// V8's format always starts with its version tag 0xff, so 0x00 can mark a plain number: the
// common accumulator (count, sum, min, max) then costs 9 bytes and no serializer object.
const NUMBER_TAG = 0x00;
/** Never a first byte of v8.serialize output, which starts with its version tag 0xff. */
const BUFFER_TAG = 0x01;

/** Store values (aggregates, buffered join records, processor state). */
export function encodeState(v: unknown): Buffer {
  if (typeof v === 'number') {
    const b = Buffer.allocUnsafe(9);
    b[0] = NUMBER_TAG;
    b.writeDoubleBE(v, 1);
    return b;
  }
  if (Buffer.isBuffer(v)) {
    // Sketch states (HLL, t-digest, ...) are already their own compact bytes: v8.serialize would cost µs per update.
    const b = Buffer.allocUnsafe(v.length + 1);
    b[0] = BUFFER_TAG;
    v.copy(b, 1);
    return b;
  }
  // Plain data (objects, arrays, strings, numbers) in V8's format without V8's serializer
  // (plain-serialize.ts), in pooled memory. Else copied into Node's pooled memory: a v8.serialize
  // Buffer has a backing store of its own, which costs more than the few bytes it holds when a
  // store keeps hundreds of thousands of them.
  return serializePlain(v) ?? Buffer.from(v8Serialize(v));
}

export function decodeState<T>(b: Buffer): T {
  if (b.length === 9 && b[0] === NUMBER_TAG) return b.readDoubleBE(1) as T;
  // A copy: aggregators update Buffer states in place, and `b` may be a view of a store's bytes.
  if (b[0] === BUFFER_TAG) return Buffer.from(b.subarray(1)) as T;
  return v8Deserialize(b) as T;
}

/** A cheap identity for a key, for in-memory maps (per-key queues): primitives as themselves. */
export function keyIdentity(k: unknown): unknown {
  if (k === null || typeof k !== 'object') return k;
  if (Buffer.isBuffer(k)) return 'b:' + k.toString('latin1');
  return 'v:' + v8Serialize(k).toString('latin1');
}
