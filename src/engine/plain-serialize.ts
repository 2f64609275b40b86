import { types } from 'node:util';
import { serialize as v8Serialize } from 'node:v8';

/**
 * V8's structured-clone format (what `v8.serialize` writes and `v8.deserialize` reads) written
 * directly for plain data: objects whose prototype is Object.prototype and arrays without holes
 * or extra properties, holding latin1 strings, numbers, booleans, null, undefined and such
 * objects and arrays (each at most once: no shared or cyclic references), up to 64 KiB and 64
 * objects. Anything else is left to `v8.serialize` (undefined here). The bytes are the ones
 * `v8.serialize` writes for such values, and `v8.deserialize` reads them (test/engine/
 * plain-serialize.test.ts). Two representations JS cannot see may differ, both reading back the
 * same: an integer V8 holds as a heap number it writes as a double (here: an int32 as an int), a string it holds as two-byte it writes as UTF-16 (here: latin1).
 *
 * Why: stores keep state as these bytes, and a keyed aggregation writes its changed accumulators
 * at each commit; V8's serializer object and its copy cost about a microsecond per small object,
 * a third of q18's per-bid CPU (one changed key per bid).
 */

const TAG_INT = 0x49; // 'I': zigzag varint int32
const TAG_DOUBLE = 0x4e; // 'N': 8 bytes, little-endian
const TAG_ONE_BYTE_STRING = 0x22; // '"': varint byte length, latin1 bytes
const TAG_TRUE = 0x54;
const TAG_FALSE = 0x46;
const TAG_NULL = 0x30;
const TAG_UNDEFINED = 0x5f;
const TAG_OBJECT = 0x6f; // 'o' ... '{' varint property count
const TAG_END_OBJECT = 0x7b;
const TAG_DENSE_ARRAY = 0x41; // 'A' varint length, elements, '$' varint properties (0) varint length
const TAG_END_DENSE_ARRAY = 0x24;

/** Nesting deeper than this goes to v8.serialize (and so does a cycle, which never ends). */
const MAX_DEPTH = 16;
/** Larger values go to v8.serialize: its fixed cost matters only for small ones. */
const SCRATCH_BYTES = 64 * 1024;
const MAX_OBJECTS = 64;

/** The header v8.serialize writes (0xff, then the format version), read from V8 itself. */
const HEADER = v8Serialize(null).subarray(0, -1);

const scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
let at = 0;
/** A getter inside a value that serializes state itself: that inner call goes to V8. */
let busy = false;
/** Objects and arrays written so far in this value (each may appear once). */
const seen: object[] = [];

class NotPlain extends Error {}
const NOT_PLAIN = new NotPlain();

/** `v8.serialize(v)`'s bytes for plain data, without V8's serializer; undefined for anything else. */
export function serializePlain(v: unknown): Buffer | undefined {
  if (busy) return undefined;
  busy = true;
  at = 0;
  seen.length = 0;
  try {
    room(HEADER.length);
    HEADER.copy(scratch, 0);
    at = HEADER.length;
    write(v, 0);
  } catch (e) {
    if (e === NOT_PLAIN) return undefined;
    throw e;
  } finally {
    seen.length = 0;
    busy = false;
  }
  const out = Buffer.allocUnsafe(at);
  scratch.copy(out, 0, 0, at);
  return out;
}

function write(v: unknown, depth: number): void {
  switch (typeof v) {
    case 'number':
      writeNumber(v);
      return;
    case 'string':
      writeString(v);
      return;
    case 'boolean':
      room(1);
      scratch[at++] = v ? TAG_TRUE : TAG_FALSE;
      return;
    case 'undefined':
      room(1);
      scratch[at++] = TAG_UNDEFINED;
      return;
    case 'object':
      if (v === null) {
        room(1);
        scratch[at++] = TAG_NULL;
        return;
      }
      if (depth >= MAX_DEPTH || seen.length >= MAX_OBJECTS || types.isProxy(v) || seen.includes(v)) throw NOT_PLAIN;
      seen.push(v);
      if (Array.isArray(v)) writeArray(v, depth);
      else if (Object.getPrototypeOf(v) === Object.prototype) writeObject(v as Record<string, unknown>, depth);
      else throw NOT_PLAIN;
      return;
    default:
      throw NOT_PLAIN; // bigint, symbol, function
  }
}

function writeNumber(n: number): void {
  room(11);
  // V8 writes Smis as 'I' (int32, zigzag) and heap numbers as 'N'. Node's Smis are 32-bit (no
  // pointer compression); with 31-bit ones V8 would write 2^30..2^31 as doubles, which read the same.
  if ((n | 0) === n && !Object.is(n, -0)) {
    scratch[at++] = TAG_INT;
    varint((n << 1) ^ (n >> 31));
    return;
  }
  scratch[at++] = TAG_DOUBLE;
  at = scratch.writeDoubleLE(n, at);
}

function writeString(s: string): void {
  const n = s.length;
  room(6 + n);
  scratch[at++] = TAG_ONE_BYTE_STRING;
  varint(n);
  if (n > 8 && Buffer.byteLength(s, 'utf8') === n) {
    // ASCII (its UTF-8 is one byte a character): copied natively.
    at += scratch.write(s, at, n, 'latin1');
    return;
  }
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    // Characters past latin1 need V8's two-byte form (aligned UTF-16): rare in state, so V8 writes it.
    if (c > 0xff) throw NOT_PLAIN;
    scratch[at++] = c;
  }
}

function writeArray(a: unknown[], depth: number): void {
  const n = a.length;
  for (let i = 0; i < n; i++) if (a[i] === undefined && !(i in a)) throw NOT_PLAIN; // a hole: V8 writes a sparse array
  if (Object.keys(a).length !== n) throw NOT_PLAIN; // properties besides the elements
  room(6);
  scratch[at++] = TAG_DENSE_ARRAY;
  varint(n);
  for (let i = 0; i < n; i++) write(a[i], depth + 1);
  room(12);
  scratch[at++] = TAG_END_DENSE_ARRAY;
  varint(0);
  varint(n);
}

function writeObject(o: Record<string, unknown>, depth: number): void {
  const keys = Object.keys(o);
  room(1);
  scratch[at++] = TAG_OBJECT;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    // V8 writes integer-like keys (array indices) as numbers: left to it.
    const c = k.charCodeAt(0);
    if (c >= 0x30 && c <= 0x39) throw NOT_PLAIN;
    writeString(k);
    write(o[k], depth + 1);
  }
  room(6);
  scratch[at++] = TAG_END_OBJECT;
  varint(keys.length);
}

function varint(v: number): void {
  let x = v >>> 0;
  while (x >= 0x80) {
    scratch[at++] = (x & 0x7f) | 0x80;
    x >>>= 7;
  }
  scratch[at++] = x;
}

/** `n` more bytes must fit in the scratch buffer, else the value is V8's to write. */
function room(n: number): void {
  if (at + n > SCRATCH_BYTES) throw NOT_PLAIN;
}
