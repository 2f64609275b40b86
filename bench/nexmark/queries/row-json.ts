/**
 * A JSON serde for flat output rows of numbers and strings (q0-q2's), whose serialize writes
 * exactly JSON.stringify's bytes straight into a shared slab of memory: no intermediate string, no
 * UTF-8 encoding pass, no allocation but the returned view. Integers are written digit by digit,
 * thousandths (q1's euro prices) as their decimal digits, printable-ASCII strings byte by byte as
 * they are scanned ('"' and '\' escaped); anything else (a negative number, another fraction, a
 * string with control characters or non-ASCII) is written from JSON.stringify's own text of the
 * value, so a row's bytes are JSON.stringify's. deserialize is JSON.parse.
 *
 * Each returned Buffer is a view on its own part of the slab, never written again (a full slab is
 * replaced by a new one, left to the views that still hold it): a sink may keep it as long as it
 * likes.
 */
import type { Serde } from '../../../src/index.js';

export type RowFieldKind = 'number' | 'string';

const SLAB_BYTES = 256 * 1024;

/** Node's Buffer has (public but undocumented) latin1Write / utf8Write: no argument parsing. */
type WritableBuffer = Buffer & { latin1Write(s: string, at: number): number; utf8Write(s: string, at: number): number };

let slab = Buffer.allocUnsafeSlow(SLAB_BYTES) as WritableBuffer;
/** The slab as a DataView, for the keys' four-byte stores. */
let slabView = new DataView(slab.buffer, slab.byteOffset, slab.length);
let used = 0;

/** Room for `bytes` more bytes at `used` (a new slab when this one is too full). */
function reserve(bytes: number): void {
  if (used + bytes > slab.length) {
    slab = Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, bytes)) as WritableBuffer;
    slabView = new DataView(slab.buffer, slab.byteOffset, slab.length);
    used = 0;
  }
}

/** "00".."99" as bytes, two per entry. */
const TWO_DIGITS = new Uint8Array(200);
for (let d = 0; d < 100; d++) {
  TWO_DIGITS[2 * d] = 48 + Math.trunc(d / 10);
  TWO_DIGITS[2 * d + 1] = 48 + (d % 10);
}

/** A number as JSON.stringify writes it, at `p`; returns the end. */
function writeNumber(b: WritableBuffer, p: number, v: number): number {
  if (!(v >= 0 && v <= 9007199254740991 && Math.floor(v) === v)) return writeFraction(b, p, v);
  if (v < 100000000) return writeSmall(b, p, v);
  // Above 10^8 (event times are ~1.4e12): the high part, then the low 8 digits zero-padded.
  const hi = Math.floor(v / 100000000);
  p = writeNumber(b, p, hi);
  // lo < 10^8 fits an int32: its divisions by 100 become multiplications.
  let lo = (v - hi * 100000000) | 0;
  for (let i = p + 6; i >= p; i -= 2) {
    const q = (lo / 100) | 0;
    const r = 2 * (lo - q * 100);
    b[i] = TWO_DIGITS[r]!;
    b[i + 1] = TWO_DIGITS[r + 1]!;
    lo = q;
  }
  return p + 8;
}

/**
 * A positive number below 2^30 that is k / 1000 for an integer k (q1's euro prices, cents * 0.908)
 * as its decimal digits, else JSON.stringify's text. Why this is JSON.stringify's text: the decimal
 * k / 1000 parses back to v (v is that quotient, correctly rounded), and below 2^30 doubles are
 * spaced < 2.5e-7 apart, so no other decimal of at most 3 fraction digits (>= 0.001 away) does: the
 * shortest round-trip form, which JSON.stringify writes, is k / 1000 with trailing zeros dropped.
 */
function writeFraction(b: WritableBuffer, p: number, v: number): number {
  if (v > 0 && v < 1073741824) {
    const k = Math.round(v * 1000);
    if (k / 1000 === v) {
      const whole = Math.floor(k / 1000);
      let frac = k - whole * 1000;
      p = writeNumber(b, p, whole);
      b[p++] = 46; // .
      const d0 = Math.floor(frac / 100);
      frac -= d0 * 100;
      b[p++] = 48 + d0;
      if (frac !== 0) {
        const d1 = Math.floor(frac / 10);
        b[p++] = 48 + d1;
        if (frac !== d1 * 10) b[p++] = 48 + frac - d1 * 10;
      }
      return p;
    }
  }
  return p + b.latin1Write(JSON.stringify(v), p);
}

/** An integer in [0, 10^8) at `p`; returns the end. */
function writeSmall(b: WritableBuffer, p: number, v: number): number {
  let n = v | 0;
  const digits = n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : n < 100000 ? 5 : n < 1000000 ? 6 : n < 10000000 ? 7 : 8;
  let i = p + digits;
  while (n >= 100) {
    const q = (n / 100) | 0;
    const r = 2 * (n - q * 100);
    b[--i] = TWO_DIGITS[r + 1]!;
    b[--i] = TWO_DIGITS[r]!;
    n = q;
  }
  if (n >= 10) {
    b[--i] = TWO_DIGITS[2 * n + 1]!;
    b[--i] = TWO_DIGITS[2 * n]!;
  } else {
    b[--i] = 48 + n;
  }
  return p + digits;
}

/**
 * What a UTF-16 unit needs in a JSON string: 0 nothing (printable ASCII), 1 a backslash before it
 * ('"' and '\\', as JSON.stringify escapes them), 2 JSON.stringify's text (control characters,
 * non-ASCII). One table load per unit instead of four comparisons.
 */
const STRING_UNIT = new Uint8Array(65536).fill(2);
for (let c = 0x20; c < 0x7f; c++) STRING_UNIT[c] = 0;
STRING_UNIT[34] = 1;
STRING_UNIT[92] = 1;

/** A string as JSON.stringify writes it, quoted, at `p`; returns the end. */
function writeString(b: WritableBuffer, p: number, s: string): number {
  const start = p;
  b[p++] = 34;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    const k = STRING_UNIT[c]!;
    if (k !== 0) {
      if (k === 2) return start + b.utf8Write(JSON.stringify(s), start);
      b[p++] = 92;
    }
    b[p++] = c;
  }
  b[p] = 34;
  return p + 1;
}

/** Writes one row's values, each after its key, into the slab (see rowJson). */
export class RowWriter {
  private b: WritableBuffer = slab;
  private v: DataView = slabView;
  private p = 0;
  private k = 0;
  /** Each key's bytes as little-endian 32-bit words (the last one zero-padded). */
  private readonly words: readonly Uint32Array[];

  constructor(private readonly keys: readonly Uint8Array[]) {
    this.words = keys.map((k) => {
      const padded = new Uint8Array((k.length + 3) & ~3);
      padded.set(k);
      return new Uint32Array(padded.buffer);
    });
  }

  /** Starts a row with room for `bound` bytes. */
  begin(bound: number): void {
    reserve(bound);
    this.b = slab;
    this.v = slabView;
    this.p = used;
    this.k = 0;
  }

  /**
   * The next key, four bytes per store. The last word's padding lands past the key, where the
   * value goes next (begin reserves 3 bytes of slack for the last one).
   */
  private key(): void {
    const i = this.k++;
    const w = this.words[i]!;
    const v = this.v;
    const p = this.p;
    for (let j = 0; j < w.length; j++) v.setUint32(p + 4 * j, w[j]!, true);
    this.p = p + this.keys[i]!.length;
  }

  number(v: number): void {
    this.key();
    this.p = typeof v === 'number' ? writeNumber(this.b, this.p, v) : this.p + this.b.utf8Write(JSON.stringify(v) ?? 'null', this.p);
  }

  string(s: string): void {
    this.key();
    this.p = typeof s === 'string' ? writeString(this.b, this.p, s) : this.p + this.b.utf8Write(JSON.stringify(s) ?? 'null', this.p);
  }

  /** Ends the row: its bytes. */
  end(): Buffer {
    const b = this.b;
    const start = used;
    b[this.p++] = 125; // }
    used = this.p;
    return b.subarray(start, this.p);
  }
}

/**
 * A serde for rows of these fields (name and kind, in the order the query builds its rows, which
 * is the order JSON.stringify writes them in). `write` hands the row's values to the writer in
 * that order; `stringChars` is the rows' total string length (for the room to reserve). The
 * bytes equal JSON.stringify's for any row built with exactly these fields (test/bench/nexmark
 * checks it on the queries' rows).
 */
export function rowJson<T>(
  fields: ReadonlyArray<readonly [string, RowFieldKind]>,
  write: (w: RowWriter, row: T) => void,
  stringChars: (row: T) => number = () => 0,
): Serde<T> {
  const keys = fields.map(([k], i) => Uint8Array.from(Buffer.from(`${i === 0 ? '{' : ','}${JSON.stringify(k)}:`, 'latin1')));
  const numbers = fields.filter(([, kind]) => kind === 'number').length;
  const strings = fields.length - numbers;
  // A number's JSON is at most 24 bytes; a string's at most 6 bytes per UTF-16 unit (\uXXXX) + 2;
  // 3 bytes of slack for the last key's padded store.
  const fixed = keys.reduce((s, k) => s + k.length, 0) + 24 * numbers + 2 * strings + 1 + 3;
  const w = new RowWriter(keys);
  return {
    name: `json(${fields.map(([k]) => k).join(',')})`,
    serialize(row: T): Buffer {
      w.begin(fixed + 6 * stringChars(row));
      write(w, row);
      return w.end();
    },
    deserialize: (bytes: Buffer): T => JSON.parse(bytes.toString('utf8')) as T,
  };
}
