/**
 * Nexmark's standard event generator, compatible with Apache Beam's
 * (sdks/java/testing/nexmark: Generator, GeneratorConfig, sources/generator/model/*): for the same
 * configuration the same event number gives the same person / auction / bid, field by field.
 * bench/peers/nexmark-java holds a Java port on java.util.Random that test/bench verifies us
 * against.
 *
 * How it works (as in Beam): event number n (counting from config.firstEventNumber) has
 *  - event id  = firstEventId + adjusted(n), where adjusted(n) permutes n inside its out-of-order
 *    group (identity when outOfOrderGroupSize = 1);
 *  - type      = eventId % 50: 0 person, 1-3 auction, 4-49 bid (1:3:46);
 *  - event time = baseTime + adjusted(n) * interEventDelayUs / 1000 (from the rate, never from the
 *    wall clock), watermark = the time of the first event of its group;
 *  - fields    drawn from `new java.util.Random(eventId + seed)`, so any event can be generated
 *    on its own (see `skipTo`), and splitting the work never changes the data.
 * Ids: persons and auctions get consecutive ids from 1000; bids and auctions refer to the last
 * 1,000 active people and the last 100 in-flight auctions, with "hot" auctions / sellers /
 * bidders (ratios 2 / 4 / 4 by default).
 *
 * Two ways out:
 *  - `next()` / `nextBatch()`: plain typed objects (model.ts);
 *  - `fillColumns(cols)`: every number of every event in typed arrays, strings on demand
 *    (event-columns.ts), the fastest: the string characters are most of the work;
 *  - `fillJson(batch)`: the JSON bytes of each event (model.ts eventToJson's exact format) written
 *    straight into one Buffer, with per-event end offsets, timestamps and types, for producing
 *    to the log without building objects.
 * (parallel-generator.ts runs fillJson on worker threads over disjoint event ranges, in order.)
 * Both share one generation routine (one set of draws, so they cannot disagree); in JSON mode it
 * writes every string straight into the batch buffer with the punctuation around it, in object
 * mode into a scratch area that becomes the objects' strings. Bid channels are drawn after the
 * extra string (as their Random draws must be), by jumping the LCG ahead over the extra's draws and
 * back, so the JSON keeps the schema's field order in one pass.
 */
import {
  AUCTION_PROPORTION,
  FIRST_AUCTION_ID,
  FIRST_CATEGORY_ID,
  FIRST_PERSON_ID,
  GeneratorConfig,
  PERSON_PROPORTION,
  PROPORTION_DENOMINATOR,
  type NexmarkConfig,
} from './config.js';
import { EventColumns, HOT_CHANNEL_BASE, NO_CHANNEL } from './event-columns.js';
import { JavaRandom } from './java-random.js';
import { EVENT_AUCTION, EVENT_BID, EVENT_PERSON, type Auction, type Bid, type NexmarkEvent, type Person } from './model.js';

// ---------------------------------------------------------------------------------------------
// Constants of Beam's model generators

/** PersonGenerator / AuctionGenerator: yet-to-be-created ids that may be referenced. */
const PERSON_ID_LEAD = 10;
const AUCTION_ID_LEAD = 10;
/** Hot sellers/bidders/auctions are the first (bidders: second) of each batch of 100. */
const HOT_SELLER_RATIO = 100;
const HOT_AUCTION_RATIO = 100;
const HOT_BIDDER_RATIO = 100;
const NUM_CATEGORIES = 5;
const MIN_STRING_LENGTH = 3;

const US_STATES = 'AZ,CA,ID,OR,WA,WY'.split(',');
const US_CITIES = 'Phoenix,Los Angeles,San Francisco,Boise,Portland,Bend,Redmond,Seattle,Kent,Cheyenne'.split(',');
const FIRST_NAMES = 'Peter,Paul,Luke,John,Saul,Vicky,Kate,Julie,Sarah,Deiter,Walter'.split(',');
const LAST_NAMES = 'Shultz,Abrams,Spencer,White,Bartels,Walton,Smith,Jones,Noris'.split(',');

// The nexmark/nexmark (Flink) bid channel/url extension, made deterministic: drawn from the
// event's Random after all of Beam's fields; the URLs come from fixed seeds instead of an unseeded
// Random. bench/peers/nexmark-java does the same.
const HOT_CHANNELS_RATIO = 2;
const CHANNELS_NUMBER = 10_000;
const HOT_CHANNELS = ['Google', 'Facebook', 'Baidu', 'Apple'];

// ---------------------------------------------------------------------------------------------
// Helpers shared with tests

/** PersonGenerator.lastBase0PersonId: the last valid person id (base 0) at this event id. */
export function lastBase0PersonId(eventId: number): number {
  const epoch = Math.trunc(eventId / PROPORTION_DENOMINATOR);
  let offset = eventId % PROPORTION_DENOMINATOR;
  if (offset >= PERSON_PROPORTION) offset = PERSON_PROPORTION - 1;
  return epoch * PERSON_PROPORTION + offset;
}

/** AuctionGenerator.lastBase0AuctionId: the last valid auction id (base 0) at this event id. */
export function lastBase0AuctionId(eventId: number): number {
  let epoch = Math.trunc(eventId / PROPORTION_DENOMINATOR);
  let offset = eventId % PROPORTION_DENOMINATOR;
  if (offset < PERSON_PROPORTION) {
    epoch--;
    offset = AUCTION_PROPORTION - 1;
  } else if (offset >= PERSON_PROPORTION + AUCTION_PROPORTION) {
    offset = AUCTION_PROPORTION - 1;
  } else {
    offset -= PERSON_PROPORTION;
  }
  return epoch * AUCTION_PROPORTION + offset;
}

/** The event type code (0 person, 1 auction, 2 bid) of an event id. */
export function eventTypeOf(eventId: number): 0 | 1 | 2 {
  const rem = eventId % PROPORTION_DENOMINATOR;
  return rem < PERSON_PROPORTION ? EVENT_PERSON : rem < PERSON_PROPORTION + AUCTION_PROPORTION ? EVENT_AUCTION : EVENT_BID;
}

/** Integer.reverse then Math.abs, with Java's int semantics (abs(MIN_VALUE) = MIN_VALUE). */
function absReverse(n: number): number {
  let v = n | 0;
  let r = 0;
  for (let i = 0; i < 32; i++) {
    r = (r << 1) | (v & 1);
    v >>>= 1;
  }
  return r === -2147483648 ? r : Math.abs(r);
}

/** nexmark/nexmark's StringsGenerator.nextString(random, maxLength, special), as a JS string. */
function nextStringSpecial(r: JavaRandom, maxLength: number, special: string): string {
  let len = MIN_STRING_LENGTH + r.nextIntBounded(maxLength - MIN_STRING_LENGTH);
  let s = '';
  while (len-- > 0) {
    s += r.nextIntBounded(13) === 0 ? special : String.fromCharCode(97 + r.nextIntBounded(26));
  }
  return s.trim();
}

/** The part of a channel URL between "https://www.nexmark.com/" and "/item.htm?query=1". */
function urlMiddle(r: JavaRandom): string {
  return `${nextStringSpecial(r, 5, '_')}/${nextStringSpecial(r, 5, '_')}/${nextStringSpecial(r, 5, '_')}`;
}
const URL_HEAD = 'https://www.nexmark.com/';
const URL_TAIL = '/item.htm?query=1';

/** URL of hot channel i: from `new Random(-1 - i)`. */
export function hotChannelUrl(i: number): string {
  return `${URL_HEAD}${urlMiddle(new JavaRandom(BigInt(-1 - i)))}${URL_TAIL}`;
}

/** Channel n's URL in parts: its middle, and its "&channel_id=" number (undefined for none). */
function channelUrlParts(n: number): { middle: string; channelId: number | undefined } {
  const r = new JavaRandom(n);
  const middle = urlMiddle(r);
  return { middle, channelId: r.nextIntBounded(10) > 0 ? absReverse(n) : undefined };
}

/** URL of channel n: from `new Random(n)`, with "&channel_id=..." 9 times in 10. */
export function channelUrl(n: number): string {
  const { middle, channelId } = channelUrlParts(n);
  return `${URL_HEAD}${middle}${URL_TAIL}${channelId === undefined ? '' : `&channel_id=${channelId}`}`;
}

// ---------------------------------------------------------------------------------------------
// Byte-level helpers

const enc = (s: string): Uint8Array => Buffer.from(s, 'latin1');

/**
 * A constant piece of JSON as 8-byte chunks (zero-padded to a whole chunk), each held as the
 * double with those bytes (little-endian): `put` writes it with one 8-byte store per chunk, several
 * times faster than a byte loop or TypedArray.set (a runtime call) for the short pieces an event is
 * made of. Every byte is below 0x7f, so no chunk is a NaN (whose bits an engine may canonicalize):
 * the bytes come back out exactly. The up to 7 bytes written past its end are overwritten by
 * whatever follows (a JsonEventBatch keeps slack beyond an event's largest size).
 */
interface Piece {
  readonly length: number;
  readonly chunks: Float64Array;
}
function piece(s: string): Piece {
  const bytes = enc(s);
  const padded = new Uint8Array(Math.ceil(bytes.length / 8) * 8);
  padded.set(bytes);
  for (const b of bytes) if (b >= 0x7f) throw new RangeError(`piece: byte ${b} is not ASCII: ${s}`);
  return { length: bytes.length, chunks: new Float64Array(padded.buffer) };
}
function put(view: DataView, pos: number, pc: Piece): number {
  const c = pc.chunks;
  for (let i = 0, n = c.length; i < n; i++) view.setFloat64(pos + 8 * i, c[i]!, true);
  return pos + pc.length;
}

interface Interned {
  str: string[];
  pieces: Piece[];
}
function intern(strs: string[]): Interned {
  return { str: strs, pieces: strs.map(piece) };
}

const NAMES: Interned = intern(FIRST_NAMES.flatMap((f) => LAST_NAMES.map((l) => `${f} ${l}`)));
const CITIES: Interned = intern(US_CITIES);
const STATES: Interned = intern(US_STATES);
const HOT_CHANNEL_NAMES: Interned = intern(HOT_CHANNELS);
let hotUrls: Interned | undefined;
const channelNames: string[] = new Array<string>(CHANNELS_NUMBER).fill('');
const channelUrls: string[] = new Array<string>(CHANNELS_NUMBER).fill('');

const channelJsonOf = (name: string, url: string): Piece => piece(`,"channel":"${name}","url":"${url}","dateTime":`);
const NO_CHANNEL_JSON = channelJsonOf('', '');
/** A bid's JSON from its channel to its time, `,"channel":"…","url":"…","dateTime":`, per hot channel. */
let hotChannelJson: Piece[] | undefined;

function getHotUrls(): Interned {
  if (hotUrls === undefined) {
    const urls = intern(HOT_CHANNELS.map((_, i) => hotChannelUrl(i)));
    hotChannelJson = HOT_CHANNELS.map((name, i) => channelJsonOf(name, urls.str[i]!));
    hotUrls = urls;
  }
  return hotUrls;
}

/*
 * The same JSON for the 10,000 other channels. Half of all bids pick one of them at random, so
 * what varies per channel is kept small and flat: one 64-byte (cache-line) record per channel in
 * COLD, as 8-byte chunks (COLD_CHUNKS): its name's digits (chunk 0), its URL middle (1-2), its
 * channel_id digits (3-4), each zero-padded, and their byte lengths in bytes 40-42 (COLD_BYTES; a
 * name length of 0 means not built yet). The constant text around them comes from a few pieces
 * that stay in the L1 cache. Whole pieces per channel (~110 bytes each, 1.1 MB, behind an object
 * each) made every other bid a cache miss or two; this is at most one.
 */
const COLD_STRIDE = 8;
const COLD_LENS_AT = 40;
const COLD = new ArrayBuffer(CHANNELS_NUMBER * COLD_STRIDE * 8);
const COLD_CHUNKS = new Float64Array(COLD);
const COLD_BYTES = new Uint8Array(COLD);
const P_COLD_NAME = piece(',"channel":"channel-');
const P_COLD_URL = piece(`","url":"${URL_HEAD}`);
const P_COLD_ID = piece(`${URL_TAIL}&channel_id=`);
const P_COLD_NO_ID = piece(`${URL_TAIL}","dateTime":`);
const P_COLD_END = piece('","dateTime":');

/** Store `s` (at most 8 * chunks bytes) at COLD_CHUNKS[at...]; returns its length. */
function setCold(at: number, chunks: number, s: string): number {
  const pc = piece(s);
  if (pc.chunks.length > chunks) throw new RangeError(`channel part too long: ${s}`);
  COLD_CHUNKS.set(pc.chunks, at);
  return pc.length;
}

/** Whether channel n's record is built (the read also brings its cache line in early). */
function coldBuilt(n: number): boolean {
  return COLD_BYTES[n * COLD_STRIDE * 8 + COLD_LENS_AT] !== 0;
}

function ensureChannel(n: number): void {
  const { middle, channelId } = channelUrlParts(n);
  channelNames[n] = `channel-${n}`;
  channelUrls[n] = channelUrl(n);
  const b = n * COLD_STRIDE;
  const l = 8 * b + COLD_LENS_AT;
  COLD_BYTES[l + 1] = setCold(b + 1, 2, middle);
  COLD_BYTES[l + 2] = channelId === undefined ? 0 : setCold(b + 3, 2, String(channelId));
  COLD_BYTES[l] = setCold(b, 1, String(n));
}

/** Channel n's piece (`,"channel":"channel-n","url":"…","dateTime":`) at pos; returns the end. */
function putColdChannel(view: DataView, pos: number, n: number): number {
  const b = n * COLD_STRIDE;
  const l = 8 * b + COLD_LENS_AT;
  pos = put(view, pos, P_COLD_NAME);
  view.setFloat64(pos, COLD_CHUNKS[b]!, true);
  pos = put(view, pos + COLD_BYTES[l]!, P_COLD_URL);
  view.setFloat64(pos, COLD_CHUNKS[b + 1]!, true);
  view.setFloat64(pos + 8, COLD_CHUNKS[b + 2]!, true);
  pos += COLD_BYTES[l + 1]!;
  const idLen = COLD_BYTES[l + 2]!;
  if (idLen === 0) return put(view, pos, P_COLD_NO_ID);
  pos = put(view, pos, P_COLD_ID);
  view.setFloat64(pos, COLD_CHUNKS[b + 3]!, true);
  view.setFloat64(pos + 8, COLD_CHUNKS[b + 4]!, true);
  return put(view, pos + idLen, P_COLD_END);
}

/** Decimal digits of a non-negative safe integer into buf at pos; returns the new position. */
function writeUint(buf: Uint8Array, pos: number, v: number): number {
  if (v < 10) {
    buf[pos] = 48 + v;
    return pos + 1;
  }
  if (v >= 100000000) {
    const hi = Math.floor(v / 100000000);
    pos = writeUint(buf, pos, hi);
    let lo = v - hi * 100000000;
    for (let i = pos + 7; i >= pos; i--) {
      const q = (lo / 10) | 0;
      buf[i] = 48 + lo - q * 10;
      lo = q;
    }
    return pos + 8;
  }
  let n = v | 0;
  const digits = n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : n < 100000 ? 5 : n < 1000000 ? 6 : n < 10000000 ? 7 : 8;
  // Two digits per division, from the last.
  let i = pos + digits;
  while (n >= 10) {
    const q = (n / 100) | 0;
    const r = 2 * (n - q * 100);
    buf[--i] = TWO_DIGITS[r + 1]!;
    buf[--i] = TWO_DIGITS[r]!;
    n = q;
  }
  if (i > pos) buf[pos] = 48 + n;
  return pos + digits;
}

/** "00".."99" as bytes, two per entry. */
const TWO_DIGITS = new Uint8Array(200);
for (let d = 0; d < 100; d++) {
  TWO_DIGITS[2 * d] = 48 + Math.trunc(d / 10);
  TWO_DIGITS[2 * d + 1] = 48 + (d % 10);
}

const P_PERSON_ID = piece('{"event_type":0,"person":{"id":');
const P_NAME = piece(',"name":"');
const P_EMAIL = piece('","emailAddress":"');
const P_CC = piece('","creditCard":"');
const P_CITY = piece('","city":"');
const P_STATE = piece('","state":"');
const P_PDATE = piece('","dateTime":');
const P_EXTRA = piece(',"extra":"');
const P_END = piece('"}}');
const A_ID = piece('{"event_type":1,"auction":{"id":');
const A_ITEM = piece(',"itemName":"');
const A_DESC = piece('","description":"');
const A_INITIAL = piece('","initialBid":');
const A_RESERVE = piece(',"reserve":');
const A_DATE = piece(',"dateTime":');
const A_EXPIRES = piece(',"expires":');
const A_SELLER = piece(',"seller":');
const A_CATEGORY = piece(',"category":');
const B_AUCTION = piece('{"event_type":2,"bid":{"auction":');
const B_BIDDER = piece(',"bidder":');
const B_PRICE = piece(',"price":');

/** Node's Buffer has a (public but undocumented) latin1Slice: the fastest bytes -> one-byte string. */
type LatinBuffer = Buffer & { latin1Slice(start: number, end: number): string };

// ---------------------------------------------------------------------------------------------
// JSON batches

/**
 * A batch of events in their JSON form, for the log: event i is `buf[i ? ends[i-1] : 0, ends[i])`,
 * with event time `timestamps[i]` and type `types[i]` (0 person, 1 auction, 2 bid). Reused across
 * fills: `fillJson` clears it first.
 */
export class JsonEventBatch {
  readonly buf: Buffer;
  /** A view on buf for the generator's multi-byte stores. */
  readonly view: DataView;
  readonly ends: Uint32Array;
  readonly timestamps: Float64Array;
  readonly types: Uint8Array;
  /** Events in the batch. */
  count = 0;
  /** Bytes used in buf. */
  length = 0;
  /** After a fill: a watermark for the events that follow (minimum of all their event times). */
  watermark = 0;

  /**
   * `maxBytes` defaults to room for `maxEvents` events of the default sizes (about 230 bytes on
   * average, 650 at most for an auction) plus slack; a fill also stops early when the buffer could
   * not take one more event of the largest possible size.
   */
  constructor(
    readonly maxEvents = 4096,
    maxBytes = JsonEventBatch.defaultBytes(maxEvents),
    /**
     * Memory to live in (JsonEventBatch.storageBytes long), e.g. a SharedArrayBuffer that a worker
     * thread fills and the main thread reads (parallel-generator.ts); its own memory when absent.
     */
    storage?: SharedArrayBuffer | ArrayBuffer,
  ) {
    if (storage === undefined) {
      this.buf = Buffer.allocUnsafe(maxBytes);
      this.ends = new Uint32Array(maxEvents);
      this.timestamps = new Float64Array(maxEvents);
      this.types = new Uint8Array(maxEvents);
    } else {
      // Layout: timestamps, ends, types, then the bytes (from an 8-byte boundary).
      const need = JsonEventBatch.storageBytes(maxEvents, maxBytes);
      if (storage.byteLength < need) throw new RangeError(`JsonEventBatch storage too small: ${storage.byteLength} < ${need}`);
      this.timestamps = new Float64Array(storage, 0, maxEvents);
      this.ends = new Uint32Array(storage, 8 * maxEvents, maxEvents);
      this.types = new Uint8Array(storage, 12 * maxEvents, maxEvents);
      this.buf = Buffer.from(storage, need - maxBytes, maxBytes);
    }
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** The default byte size for `maxEvents` events of the default sizes. */
  static defaultBytes(maxEvents: number): number {
    return maxEvents * 640 + 4096;
  }

  /** Bytes of `storage` a batch of this shape needs. */
  static storageBytes(maxEvents: number, maxBytes = JsonEventBatch.defaultBytes(maxEvents)): number {
    return Math.ceil((13 * maxEvents) / 8) * 8 + maxBytes;
  }

  start(i: number): number {
    return i === 0 ? 0 : this.ends[i - 1]!;
  }

  /** Event i's JSON bytes (a view into buf, valid until the next fill). */
  value(i: number): Buffer {
    return this.buf.subarray(this.start(i), this.ends[i]);
  }

  clear(): void {
    this.count = 0;
    this.length = 0;
  }
}

/** One event with Beam's NextEvent timestamps (without the wall-clock one). */
export interface NextEvent {
  event: NexmarkEvent;
  /** The event's event time (= event.dateTime). */
  eventTimestamp: number;
  /** The minimum of this and all future event times: a perfect watermark. */
  watermark: number;
  /** The event id (seeds its Random; eventId % 50 gives its type). */
  eventId: number;
}

// ---------------------------------------------------------------------------------------------
// Fast arithmetic shared by both outputs

/**
 * java.util.Random's multiplier 0x5DEECE66D in 16-bit limbs. The generator keeps the 48-bit LCG
 * state as three 16-bit limbs (small integers: no boxing, int32 arithmetic only) and inlines the
 * step in its hot loops; java-random.ts is the readable reference it is tested against.
 */
const M0 = 0xe66d;
const M1 = 0xdeec;
const M2 = 0x0005;

/** Jump-ahead tables: k LCG steps = state * A[k] + C[k] (mod 2^48), as 16-bit limbs. */
const JUMP_LIMBS: number[] = [];
function jumpTable(k: number): number {
  // Each entry: a0 a1 a2 c0 c1 c2 at 6 * k.
  while (JUMP_LIMBS.length / 6 <= k) {
    const i = JUMP_LIMBS.length / 6;
    const mask = (1n << 48n) - 1n;
    let a = 1n;
    let c = 0n;
    for (let j = 0; j < i; j++) {
      a = (a * 0x5deece66dn) & mask;
      c = (c * 0x5deece66dn + 0xbn) & mask;
    }
    for (const v of [a, c]) JUMP_LIMBS.push(Number(v & 0xffffn), Number((v >> 16n) & 0xffffn), Number(v >> 32n));
  }
  return 6 * k;
}

/**
 * Two extra-string characters per entry for m = v % 676 in [-675, 675] (Java's signed %), as raw
 * bytes (PAIRS_RAW, one little-endian 16-bit value per entry) and in their JSON form (PAIRS_JSON,
 * 4 per entry: '\' (byte 92) is the one byte the generator makes that JSON must escape, so an
 * entry is 2 to 4 bytes long, PAIRS_JSON_LEN). The JSON path always stores 4 bytes and advances
 * by the length: no branch, no second pass to escape.
 */
const PAIRS_JSON = new Uint8Array(1351 * 4);
/** PAIRS_JSON's 4 bytes of each entry as one little-endian word, for a single DataView store. */
const PAIRS_JSON_WORD = new Uint32Array(1351);
const PAIRS_JSON_LEN = new Uint8Array(1351);
/** PAIRS' 2 bytes of each entry as one little-endian 16-bit value. */
const PAIRS_RAW = new Uint16Array(1351);
for (let m = -675; m <= 675; m++) {
  const e = m + 675;
  const b0 = 97 + (m % 26);
  const b1 = 97 + Math.trunc(m / 26);
  let o = e * 4;
  for (const b of [b0, b1]) {
    if (b === 92) PAIRS_JSON[o++] = 92;
    PAIRS_JSON[o++] = b;
  }
  PAIRS_JSON_LEN[e] = o - e * 4;
  PAIRS_RAW[e] = b0 | (b1 << 8);
  const w = e * 4;
  PAIRS_JSON_WORD[e] = (PAIRS_JSON[w]! | (PAIRS_JSON[w + 1]! << 8) | (PAIRS_JSON[w + 2]! << 16) | (PAIRS_JSON[w + 3]! << 24)) >>> 0;
}

/** 10^(j/1024) for j in [0, 6 * 1024]: the table behind nextPrice's fast path. */
const POW_STEPS = 1024;
const POW10_TABLE = new Float64Array(6 * POW_STEPS + 1);
for (let j = 0; j <= 6 * POW_STEPS; j++) POW10_TABLE[j] = Math.pow(10, j / POW_STEPS);

/**
 * PriceGenerator.nextPrice's Math.round(Math.pow(10.0, u * 6.0) * 100.0) for x = u * 6, without the
 * (slow) Math.pow: a table value times a short exp series is within ~1e-7 of the exact product
 * (<= 1e8), so the rounding agrees unless the fraction is within 1e-4 of .5; then we ask Math.pow.
 */
function roundPrice(x: number): number {
  const j = Math.floor(x * POW_STEPS);
  const r = (x - j / POW_STEPS) * Math.LN10;
  const e = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120)))));
  const y = POW10_TABLE[j]! * e * 100;
  const f = y - Math.floor(y);
  if (f > 0.4999 && f < 0.5001) return Math.round(Math.pow(10.0, x) * 100.0);
  return Math.round(y);
}

const DATE_DIGITS = 20;

// ---------------------------------------------------------------------------------------------
// The generator

export class NexmarkGenerator implements IterableIterator<NexmarkEvent> {
  readonly config: GeneratorConfig;
  private count: number;
  private readonly c: Readonly<NexmarkConfig>;
  /** Largest possible JSON size of one event (checked before writing into a batch). */
  private readonly maxEventBytes: number;
  private readonly constantDelayUs: number;
  private readonly numEventsForAuctions: number;

  // LCG state, 16-bit limbs (low to high).
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;

  // The last generated event. Strings are [start, end) ranges of `dst` (scratch in object mode).
  private readonly scratch: LatinBuffer;
  private readonly scratchView: DataView;
  /** The buffer being written: the batch's in JSON mode, scratchView in object mode. */
  private view: DataView;
  private kind = 0;
  private eventId = 0;
  private dateTime = 0;
  private id = 0; // person id / auction id / bid auction
  private ref = 0; // auction seller / bid bidder
  private price = 0; // auction initialBid / bid price
  private reserve = 0;
  private expires = 0;
  private category = 0;
  private nameIdx = 0; // person name / bid channel (hot index or channel number; -1 none)
  private cityIdx = 0;
  private stateIdx = 0;
  private hotChannel = false;
  private s1s = 0; // person email / auction itemName
  private s1e = 0;
  private s2s = 0; // person creditCard / auction description
  private s2e = 0;
  private sxs = 0; // extra
  private sxe = 0;

  // Cached decimal digits of the last dateTime written (event times repeat for several events).
  private readonly dateDigits = new Uint8Array(DATE_DIGITS);
  private readonly dateWords = new Uint32Array(DATE_DIGITS / 4);
  private dateDigitsFor = -1;
  private dateDigitsLen = 0;

  constructor(config: Partial<NexmarkConfig> | GeneratorConfig = {}, eventsCountSoFar = 0) {
    this.config = config instanceof GeneratorConfig ? config : new GeneratorConfig(config);
    this.c = this.config.config;
    this.count = eventsCountSoFar;
    this.constantDelayUs = this.config.constantDelayUs;
    this.numEventsForAuctions = Math.trunc((this.c.numInFlightAuctions * PROPORTION_DENOMINATOR) / AUCTION_PROPORTION);
    const maxExtra = Math.ceil(Math.max(this.c.avgPersonByteSize, this.c.avgAuctionByteSize, this.c.avgBidByteSize) * 1.25) + 2;
    this.scratch = Buffer.alloc(maxExtra + 512) as LatinBuffer;
    this.scratchView = new DataView(this.scratch.buffer, this.scratch.byteOffset, this.scratch.byteLength);
    this.view = this.scratchView;
    this.maxEventBytes = 2 * maxExtra + 512;
    jumpTable(Math.ceil(maxExtra / 6) + 1);
    if (this.c.bidChannels) getHotUrls();
  }

  /** Events generated so far (Beam's eventsCountSoFar). */
  get eventsCountSoFar(): number {
    return this.count;
  }

  /** Jump to a position: the next event is the one a fresh generator yields after `eventsCountSoFar`. */
  skipTo(eventsCountSoFar: number): void {
    if (!Number.isSafeInteger(eventsCountSoFar) || eventsCountSoFar < 0) throw new RangeError('bad position');
    this.count = eventsCountSoFar;
  }

  hasNext(): boolean {
    return this.count < this.config.maxEvents;
  }

  /** Events left to generate. */
  get remaining(): number {
    return this.config.maxEvents - this.count;
  }

  /** Id of the next event (Beam's getNextEventId). */
  nextEventId(): number {
    return this.config.firstEventId + this.config.nextAdjustedEventNumber(this.count);
  }

  /** A watermark for the next event and all after it (Beam: the time of its group's first event). */
  currentWatermark(): number {
    return this.config.timestampForEvent(this.config.nextEventNumberForWatermark(this.count));
  }

  next(): IteratorResult<NexmarkEvent> {
    if (this.count >= this.config.maxEvents) return { done: true, value: undefined };
    return { done: false, value: this.nextObject() };
  }

  [Symbol.iterator](): IterableIterator<NexmarkEvent> {
    return this;
  }

  /** The next event as an object; throws when the generator is exhausted. */
  nextObject(): NexmarkEvent {
    if (this.count >= this.config.maxEvents) throw new RangeError('nexmark generator exhausted');
    this.view = this.scratchView;
    this.generate(this.scratch, 0, false);
    return this.materialize();
  }

  /** The next event with Beam's timestamps; throws when exhausted. */
  nextEvent(): NextEvent {
    const watermark = this.currentWatermark();
    const event = this.nextObject();
    return { event, eventTimestamp: event.dateTime, watermark, eventId: this.eventId };
  }

  /** Up to `max` events appended to `out` (which is cleared first); returns how many. */
  nextBatch(out: NexmarkEvent[], max: number): number {
    out.length = 0;
    const n = Math.min(max, this.config.maxEvents - this.count);
    const scratch = this.scratch;
    this.view = this.scratchView;
    for (let i = 0; i < n; i++) {
      this.generate(scratch, 0, false);
      out.push(this.materialize());
    }
    return n;
  }

  /**
   * Fill `batch` (cleared first) with the JSON of the next events until it is full, `maxCount`
   * events are written or the generator is exhausted; returns the number of events written. No
   * object is built on the way.
   */
  fillJson(batch: JsonEventBatch, maxCount = Infinity): number {
    batch.clear();
    const buf = batch.buf;
    this.view = batch.view;
    const limit = buf.length - this.maxEventBytes;
    if (limit < 0) throw new RangeError(`JsonEventBatch too small: needs at least ${this.maxEventBytes} bytes`);
    const max = Math.min(batch.maxEvents, this.config.maxEvents - this.count, maxCount);
    const ends = batch.ends;
    const timestamps = batch.timestamps;
    const types = batch.types;
    let pos = 0;
    let i = 0;
    while (i < max && pos <= limit) {
      pos = this.generate(buf, pos, true);
      ends[i] = pos;
      timestamps[i] = this.dateTime;
      types[i] = this.kind;
      i++;
    }
    batch.count = i;
    batch.length = pos;
    batch.watermark = this.currentWatermark();
    return i;
  }

  /**
   * Fill `cols` (cleared first) with the next events as columns (event-columns.ts: every number,
   * strings on demand) until it is full or the generator is exhausted; returns the number of
   * events. The fastest way out: no string is written.
   */
  fillColumns(cols: EventColumns): number {
    const max = Math.min(cols.maxEvents, this.config.maxEvents - this.count);
    for (let i = 0; i < max; i++) this.colEvent(cols, i);
    cols.count = max;
    cols.watermark = this.currentWatermark();
    const config = this.config;
    let replayer: NexmarkGenerator | undefined;
    cols.setReplay((position) => {
      replayer ??= new NexmarkGenerator(config);
      replayer.skipTo(position);
      return replayer.nextObject();
    });
    return max;
  }

  // -------------------------------------------------------------------------------------------
  // java.util.Random on the limbs

  /** new Random(seed) for a non-negative safe integer seed. */
  private setSeed(seed: number): void {
    // `seed & x` takes the integer modulo 2^32 exactly (seed < 2^53); no floating-point %.
    this.s0 = (seed & 0xffff) ^ M0;
    this.s1 = ((seed >>> 16) & 0xffff) ^ M1;
    this.s2 = (Math.floor(seed / 4294967296) & 0xffff) ^ M2;
  }

  private step(): void {
    const s0 = this.s0;
    const s1 = this.s1;
    const t0 = (Math.imul(s0, M0) + 0xb) | 0;
    const p = Math.imul(s1, M0) >>> 0;
    const q = Math.imul(s0, M1) >>> 0;
    const u1 = (p & 0xffff) + (q & 0xffff) + (t0 >>> 16);
    this.s2 = ((Math.imul(this.s2, M0) + Math.imul(s1, M1) + Math.imul(s0, M2) + (p >>> 16) + (q >>> 16) + (u1 >>> 16)) | 0) & 0xffff;
    this.s1 = u1 & 0xffff;
    this.s0 = t0 & 0xffff;
  }

  /** Random.nextInt(bound). */
  private nextInt(bound: number): number {
    this.step();
    let r = (this.s2 << 15) | (this.s1 >>> 1);
    const m = bound - 1;
    if ((bound & m) === 0) return Math.floor((r * bound) / 2147483648);
    for (let u = r; ((u - (r = u % bound) + m) | 0) < 0; ) {
      this.step();
      u = (this.s2 << 15) | (this.s1 >>> 1);
    }
    return r;
  }

  /** Random.nextDouble(). */
  private nextDouble(): number {
    this.step();
    const a = (this.s2 << 10) | (this.s1 >>> 6);
    this.step();
    const b = (this.s2 << 11) | (this.s1 >>> 5);
    return (a * 134217728 + b) * 1.1102230246251565e-16;
  }

  /** LongGenerator.nextLong(random, n). */
  private nextLong(n: number): number {
    if (n < 2147483647) return this.nextInt(n);
    this.step();
    const a = (this.s2 << 16) | this.s1;
    this.step();
    const b = (this.s2 << 16) | this.s1;
    const v = BigInt.asIntN(64, (BigInt(a) << 32n) + BigInt(b)) % BigInt(n);
    return Number(v < 0n ? -v : v);
  }

  /** PriceGenerator.nextPrice. */
  private nextPrice(): number {
    return roundPrice(this.nextDouble() * 6.0);
  }

  /** Advance the state by k steps at once. */
  private jump(k: number): void {
    const t = jumpTable(k);
    const J = JUMP_LIMBS;
    const a0 = J[t]!;
    const a1 = J[t + 1]!;
    const a2 = J[t + 2]!;
    const s0 = this.s0;
    const s1 = this.s1;
    const s2 = this.s2;
    const r0 = a0 * s0 + J[t + 3]!;
    const k0 = Math.floor(r0 / 65536);
    const r1 = a1 * s0 + a0 * s1 + J[t + 4]! + k0;
    const k1 = Math.floor(r1 / 65536);
    const r2 = a2 * s0 + a1 * s1 + a0 * s2 + J[t + 5]! + k1;
    this.s0 = (r0 - k0 * 65536) | 0;
    this.s1 = (r1 - k1 * 65536) | 0;
    this.s2 = r2 & 0xffff; // r2 < 2^53: `&` is its exact value modulo 2^32, then 2^16
  }

  // -------------------------------------------------------------------------------------------
  // Generation (Beam's Generator.nextEvent and the model generators). Writes the event's strings
  // into dst at pos — with the JSON punctuation and escapes when `json` — and returns the end.

  private generate(dst: Uint8Array, pos: number, json: boolean): number {
    const cfg = this.config;
    const countSoFar = this.count;
    const n = cfg.outOfOrderGroupSize1 ? cfg.firstEventNumber + countSoFar : cfg.nextAdjustedEventNumber(countSoFar);
    const d = this.constantDelayUs;
    const ts = d !== 0 ? cfg.baseTime + Math.trunc((n * d) / 1000) : cfg.timestampForEvent(n);
    const eventId = cfg.firstEventId + n;
    this.setSeed(eventId + this.c.seed);
    this.eventId = eventId;
    this.dateTime = ts;
    this.count = countSoFar + 1;
    const rem = eventId % PROPORTION_DENOMINATOR;
    if (rem < PERSON_PROPORTION) return this.genPerson(eventId, dst, pos, json);
    if (rem < PERSON_PROPORTION + AUCTION_PROPORTION) return this.genAuction(n, eventId, ts, dst, pos, json);
    return this.genBid(eventId, dst, pos, json);
  }

  private genPerson(eventId: number, dst: Uint8Array, p: number, json: boolean): number {
    this.kind = EVENT_PERSON;
    const id = lastBase0PersonId(eventId) + FIRST_PERSON_ID;
    this.id = id;
    const first = this.nextInt(FIRST_NAMES.length);
    const last = this.nextInt(LAST_NAMES.length);
    const nameIdx = first * LAST_NAMES.length + last;
    this.nameIdx = nameIdx;
    if (json) {
      p = put(this.view, p, P_PERSON_ID);
      p = writeUint(dst, p, id);
      p = put(this.view, p, P_NAME);
      p = put(this.view, p, NAMES.pieces[nameIdx]!);
      p = put(this.view, p, P_EMAIL);
    }
    // email: nextString(7) + "@" + nextString(5) + ".com"
    this.s1s = p;
    p = this.writeString(dst, p, 7);
    dst[p++] = 64; // @
    p = this.writeString(dst, p, 5);
    dst[p++] = 46; // .com
    dst[p++] = 99;
    dst[p++] = 111;
    dst[p++] = 109;
    this.s1e = p;
    if (json) p = put(this.view, p, P_CC);
    // credit card: four %04d numbers joined by ' '
    this.s2s = p;
    for (let i = 0; i < 4; i++) {
      if (i > 0) dst[p++] = 32;
      let v = this.nextInt(10000);
      for (let k = p + 3; k >= p; k--) {
        const q = (v / 10) | 0;
        dst[k] = 48 + v - q * 10;
        v = q;
      }
      p += 4;
    }
    this.s2e = p;
    const cityIdx = this.nextInt(US_CITIES.length);
    const stateIdx = this.nextInt(US_STATES.length);
    this.cityIdx = cityIdx;
    this.stateIdx = stateIdx;
    if (json) {
      p = put(this.view, p, P_CITY);
      p = put(this.view, p, CITIES.pieces[cityIdx]!);
      p = put(this.view, p, P_STATE);
      p = put(this.view, p, STATES.pieces[stateIdx]!);
      p = put(this.view, p, P_PDATE);
      p = this.writeDate(p);
      p = put(this.view, p, P_EXTRA);
    }
    const currentSize =
      8 +
      NAMES.pieces[nameIdx]!.length +
      (this.s1e - this.s1s) +
      (this.s2e - this.s2s) +
      CITIES.pieces[cityIdx]!.length +
      STATES.pieces[stateIdx]!.length;
    const len = this.extraLength(currentSize, this.c.avgPersonByteSize);
    this.sxs = p;
    p = this.writeExact(dst, p, len, json);
    this.sxe = p;
    return json ? put(this.view, p, P_END) : p;
  }

  private genAuction(adjusted: number, eventId: number, ts: number, dst: Uint8Array, p: number, json: boolean): number {
    const c = this.c;
    this.kind = EVENT_AUCTION;
    const id = lastBase0AuctionId(eventId) + FIRST_AUCTION_ID;
    this.id = id;
    let seller: number;
    if (this.nextInt(c.hotSellersRatio) > 0) {
      seller = Math.trunc(lastBase0PersonId(eventId) / HOT_SELLER_RATIO) * HOT_SELLER_RATIO;
    } else {
      seller = this.nextBase0PersonId(eventId);
    }
    this.ref = seller + FIRST_PERSON_ID;
    this.category = FIRST_CATEGORY_ID + this.nextInt(NUM_CATEGORIES);
    const initialBid = this.nextPrice();
    this.price = initialBid;
    // nextAuctionLengthMs: a length averaging the time until numInFlightAuctions more auctions.
    const futureAuction = this.config.timestampForEvent(adjusted + this.numEventsForAuctions);
    const horizonMs = futureAuction - ts;
    this.expires = ts + 1 + this.nextLong(Math.max(horizonMs * 2, 1));
    if (json) {
      p = put(this.view, p, A_ID);
      p = writeUint(dst, p, id);
      p = put(this.view, p, A_ITEM);
    }
    this.s1s = p;
    p = this.writeString(dst, p, 20);
    this.s1e = p;
    if (json) p = put(this.view, p, A_DESC);
    this.s2s = p;
    p = this.writeString(dst, p, 100);
    this.s2e = p;
    this.reserve = initialBid + this.nextPrice();
    if (json) {
      p = put(this.view, p, A_INITIAL);
      p = writeUint(dst, p, initialBid);
      p = put(this.view, p, A_RESERVE);
      p = writeUint(dst, p, this.reserve);
      p = put(this.view, p, A_DATE);
      p = this.writeDate(p);
      p = put(this.view, p, A_EXPIRES);
      p = writeUint(dst, p, this.expires);
      p = put(this.view, p, A_SELLER);
      p = writeUint(dst, p, this.ref);
      p = put(this.view, p, A_CATEGORY);
      p = writeUint(dst, p, this.category);
      p = put(this.view, p, P_EXTRA);
    }
    const currentSize = 8 + (this.s1e - this.s1s) + (this.s2e - this.s2s) + 8 + 8 + 8 + 8 + 8;
    const len = this.extraLength(currentSize, c.avgAuctionByteSize);
    this.sxs = p;
    p = this.writeExact(dst, p, len, json);
    this.sxe = p;
    return json ? put(this.view, p, P_END) : p;
  }

  private genBid(eventId: number, dst: Uint8Array, p: number, json: boolean): number {
    const c = this.c;
    this.kind = EVENT_BID;
    let auction: number;
    if (this.nextInt(c.hotAuctionRatio) > 0) {
      auction = Math.trunc(lastBase0AuctionId(eventId) / HOT_AUCTION_RATIO) * HOT_AUCTION_RATIO;
    } else {
      auction = this.nextBase0AuctionId(eventId);
    }
    auction += FIRST_AUCTION_ID;
    this.id = auction;
    let bidder: number;
    if (this.nextInt(c.hotBiddersRatio) > 0) {
      bidder = Math.trunc(lastBase0PersonId(eventId) / HOT_BIDDER_RATIO) * HOT_BIDDER_RATIO + 1;
    } else {
      bidder = this.nextBase0PersonId(eventId);
    }
    bidder += FIRST_PERSON_ID;
    this.ref = bidder;
    const price = this.nextPrice();
    this.price = price;
    const len = this.extraLength(8 + 8 + 8 + 8, c.avgBidByteSize);
    let idx = -1;
    let hot = false;
    if (c.bidChannels) {
      // The channel is drawn after the extra string, which takes ceil(len / 6) nextInt()s: jump
      // over them, draw the channel, come back, so the JSON can keep the schema's field order.
      const s0 = this.s0;
      const s1 = this.s1;
      const s2 = this.s2;
      this.jump(Math.ceil(len / 6));
      if (this.nextInt(HOT_CHANNELS_RATIO) > 0) {
        hot = true;
        idx = this.nextInt(HOT_CHANNELS.length);
      } else {
        idx = this.nextInt(CHANNELS_NUMBER);
        if (!coldBuilt(idx)) ensureChannel(idx);
      }
      this.s0 = s0;
      this.s1 = s1;
      this.s2 = s2;
    }
    this.nameIdx = idx;
    this.hotChannel = hot;
    if (json) {
      p = put(this.view, p, B_AUCTION);
      p = writeUint(dst, p, auction);
      p = put(this.view, p, B_BIDDER);
      p = writeUint(dst, p, bidder);
      p = put(this.view, p, B_PRICE);
      p = writeUint(dst, p, price);
      p = idx < 0 ? put(this.view, p, NO_CHANNEL_JSON) : hot ? put(this.view, p, hotChannelJson![idx]!) : putColdChannel(this.view, p, idx);
      p = this.writeDate(p);
      p = put(this.view, p, P_EXTRA);
    }
    this.sxs = p;
    p = this.writeExact(dst, p, len, json);
    this.sxe = p;
    return json ? put(this.view, p, P_END) : p;
  }

  /** PersonGenerator.nextBase0PersonId. */
  private nextBase0PersonId(eventId: number): number {
    const numPeople = lastBase0PersonId(eventId) + 1;
    const activePeople = Math.min(numPeople, this.c.numActivePeople);
    const n = this.nextLong(activePeople + PERSON_ID_LEAD);
    return numPeople - activePeople + n;
  }

  /** AuctionGenerator.nextBase0AuctionId. */
  private nextBase0AuctionId(eventId: number): number {
    const maxAuction = lastBase0AuctionId(eventId);
    const minAuction = Math.max(maxAuction - this.c.numInFlightAuctions, 0);
    return minAuction + this.nextLong(maxAuction - minAuction + 1 + AUCTION_ID_LEAD);
  }

  /** The length part of StringsGenerator.nextExtra (draws the length). */
  private extraLength(currentSize: number, desiredAverageSize: number): number {
    if (currentSize > desiredAverageSize) return 0;
    desiredAverageSize -= currentSize;
    const delta = Math.round(desiredAverageSize * 0.2);
    const minSize = desiredAverageSize - delta;
    return minSize + (delta === 0 ? 0 : this.nextInt(2 * delta));
  }

  /**
   * StringsGenerator.nextString(random, maxLength), trimmed, written at dst[p]; returns the end.
   * The LCG step is inlined (state in locals) in this loop and in writeExact: they are where
   * nearly all random draws happen.
   */
  private writeString(dst: Uint8Array, p: number, maxLength: number): number {
    let len = MIN_STRING_LENGTH + this.nextInt(maxLength - MIN_STRING_LENGTH);
    let s0 = this.s0;
    let s1 = this.s1;
    let s2 = this.s2;
    const start = p;
    while (len-- > 0) {
      // nextInt(13)
      let u: number;
      let r: number;
      do {
        const t0 = (Math.imul(s0, M0) + 0xb) | 0;
        const pp = Math.imul(s1, M0) >>> 0;
        const qq = Math.imul(s0, M1) >>> 0;
        const u1 = (pp & 0xffff) + (qq & 0xffff) + (t0 >>> 16);
        s2 = ((Math.imul(s2, M0) + Math.imul(s1, M1) + Math.imul(s0, M2) + (pp >>> 16) + (qq >>> 16) + (u1 >>> 16)) | 0) & 0xffff;
        s1 = u1 & 0xffff;
        s0 = t0 & 0xffff;
        u = (s2 << 15) | (s1 >>> 1);
        r = u % 13;
      } while (((u - r + 12) | 0) < 0);
      if (r === 0) {
        dst[p++] = 32;
        continue;
      }
      // 'a' + nextInt(26)
      do {
        const t0 = (Math.imul(s0, M0) + 0xb) | 0;
        const pp = Math.imul(s1, M0) >>> 0;
        const qq = Math.imul(s0, M1) >>> 0;
        const u1 = (pp & 0xffff) + (qq & 0xffff) + (t0 >>> 16);
        s2 = ((Math.imul(s2, M0) + Math.imul(s1, M1) + Math.imul(s0, M2) + (pp >>> 16) + (qq >>> 16) + (u1 >>> 16)) | 0) & 0xffff;
        s1 = u1 & 0xffff;
        s0 = t0 & 0xffff;
        u = (s2 << 15) | (s1 >>> 1);
        r = u % 26;
      } while (((u - r + 25) | 0) < 0);
      dst[p++] = 97 + r;
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    // trim(): drop leading and trailing spaces (the only whitespace made here).
    let s = start;
    while (s < p && dst[s] === 32) s++;
    while (p > s && dst[p - 1] === 32) p--;
    if (s > start) {
      for (let i = s; i < p; i++) dst[start + i - s] = dst[i]!;
      p -= s - start;
    }
    return p;
  }

  /**
   * StringsGenerator.nextExactString(random, length) at dst[p] (escaping '\' when `json`):
   * six characters per nextInt(), 'a' + rnd % 26 with Java's signed remainder, so bytes 72..122.
   * Two characters at a time come from the PAIRS tables, six (one nextInt) per iteration.
   */
  private writeExact(dst: Uint8Array, p: number, length: number, json: boolean): number {
    const view = this.view;
    let s0 = this.s0;
    let s1 = this.s1;
    let s2 = this.s2;
    while (length > 0) {
      const t0 = (Math.imul(s0, M0) + 0xb) | 0;
      const pp = Math.imul(s1, M0) >>> 0;
      const qq = Math.imul(s0, M1) >>> 0;
      const u1 = (pp & 0xffff) + (qq & 0xffff) + (t0 >>> 16);
      s2 = ((Math.imul(s2, M0) + Math.imul(s1, M1) + Math.imul(s0, M2) + (pp >>> 16) + (qq >>> 16) + (u1 >>> 16)) | 0) & 0xffff;
      s1 = u1 & 0xffff;
      s0 = t0 & 0xffff;
      let v = (s2 << 16) | s1;
      if (length >= 6) {
        // m = v % 676 (Java's signed remainder), without `%`: V8 would see -0 for negative
        // multiples of 676, deoptimize, and fall back to a slow floating-point fmod. Unrolled,
        // the three divisions do not wait for the stores.
        const q0 = (v / 676) | 0;
        const q1 = (q0 / 676) | 0;
        const q2 = (q1 / 676) | 0;
        const e0 = v - q0 * 676 + 675;
        const e1 = q0 - q1 * 676 + 675;
        const e2 = q1 - q2 * 676 + 675;
        if (json) {
          // Bytes past an entry's length are overwritten by what follows (a batch keeps slack
          // beyond an event's largest size).
          view.setUint32(p, PAIRS_JSON_WORD[e0]!, true);
          p += PAIRS_JSON_LEN[e0]!;
          view.setUint32(p, PAIRS_JSON_WORD[e1]!, true);
          p += PAIRS_JSON_LEN[e1]!;
          view.setUint32(p, PAIRS_JSON_WORD[e2]!, true);
          p += PAIRS_JSON_LEN[e2]!;
        } else {
          view.setUint16(p, PAIRS_RAW[e0]!, true);
          view.setUint16(p + 2, PAIRS_RAW[e1]!, true);
          view.setUint16(p + 4, PAIRS_RAW[e2]!, true);
          p += 6;
        }
        length -= 6;
      } else {
        while (length > 0) {
          const q = (v / 26) | 0;
          const b = 97 + v - q * 26;
          if (json && b === 92) dst[p++] = 92;
          dst[p++] = b;
          v = q;
          length--;
        }
      }
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    return p;
  }

  /** The digits of this.dateTime (JSON mode), cached as words across the events that share it. */
  private writeDate(p: number): number {
    if (this.dateDigitsFor !== this.dateTime) {
      const digits = this.dateDigits;
      const words = this.dateWords;
      const n = writeUint(digits, 0, this.dateTime);
      for (let i = n; i < DATE_DIGITS; i++) digits[i] = 0;
      for (let w = 0; w < DATE_DIGITS / 4; w++) {
        words[w] = (digits[4 * w]! | (digits[4 * w + 1]! << 8) | (digits[4 * w + 2]! << 16) | (digits[4 * w + 3]! << 24)) >>> 0;
      }
      this.dateDigitsLen = n;
      this.dateDigitsFor = this.dateTime;
    }
    const n = this.dateDigitsLen;
    const words = this.dateWords;
    const view = this.view;
    for (let i = 0; 4 * i < n; i++) view.setUint32(p + 4 * i, words[i]!, true);
    return p + n;
  }

  // -------------------------------------------------------------------------------------------
  // Columns: the same draws as genPerson / genAuction / genBid, no string written (strings are
  // drawn over, extras jumped over); test/bench checks every column against the objects.

  private colEvent(cols: EventColumns, i: number): void {
    const cfg = this.config;
    const c = this.c;
    const countSoFar = this.count;
    const n = cfg.outOfOrderGroupSize1 ? cfg.firstEventNumber + countSoFar : cfg.nextAdjustedEventNumber(countSoFar);
    const d = this.constantDelayUs;
    const ts = d !== 0 ? cfg.baseTime + Math.trunc((n * d) / 1000) : cfg.timestampForEvent(n);
    const eventId = cfg.firstEventId + n;
    this.setSeed(eventId + c.seed);
    this.count = countSoFar + 1;
    cols.positions[i] = countSoFar;
    cols.dateTimes[i] = ts;
    const rem = eventId % PROPORTION_DENOMINATOR;
    if (rem < PERSON_PROPORTION) {
      cols.types[i] = EVENT_PERSON;
      cols.ids[i] = lastBase0PersonId(eventId) + FIRST_PERSON_ID;
      const first = this.nextInt(FIRST_NAMES.length);
      const last = this.nextInt(LAST_NAMES.length);
      const nameIdx = first * LAST_NAMES.length + last;
      cols.names[i] = nameIdx;
      this.skipString(7); // email
      this.skipString(5);
      for (let k = 0; k < 4; k++) this.nextInt(10000); // credit card
      const cityIdx = this.nextInt(US_CITIES.length);
      const stateIdx = this.nextInt(US_STATES.length);
      cols.cities[i] = cityIdx;
      cols.states[i] = stateIdx;
      cols.refs[i] = 0;
      cols.prices[i] = 0;
      cols.reserves[i] = 0;
      cols.expires[i] = 0;
      cols.categories[i] = 0;
      cols.channels[i] = NO_CHANNEL;
      // The extra is the last draw: nothing to draw over.
    } else if (rem < PERSON_PROPORTION + AUCTION_PROPORTION) {
      cols.types[i] = EVENT_AUCTION;
      cols.ids[i] = lastBase0AuctionId(eventId) + FIRST_AUCTION_ID;
      const seller =
        this.nextInt(c.hotSellersRatio) > 0
          ? Math.trunc(lastBase0PersonId(eventId) / HOT_SELLER_RATIO) * HOT_SELLER_RATIO
          : this.nextBase0PersonId(eventId);
      cols.refs[i] = seller + FIRST_PERSON_ID;
      cols.categories[i] = FIRST_CATEGORY_ID + this.nextInt(NUM_CATEGORIES);
      const initialBid = this.nextPrice();
      cols.prices[i] = initialBid;
      const horizonMs = this.config.timestampForEvent(n + this.numEventsForAuctions) - ts;
      cols.expires[i] = ts + 1 + this.nextLong(Math.max(horizonMs * 2, 1));
      this.skipString(20); // item name
      this.skipString(100); // description
      cols.reserves[i] = initialBid + this.nextPrice();
      cols.names[i] = 0;
      cols.cities[i] = 0;
      cols.states[i] = 0;
      cols.channels[i] = NO_CHANNEL;
    } else {
      cols.types[i] = EVENT_BID;
      const auction =
        this.nextInt(c.hotAuctionRatio) > 0
          ? Math.trunc(lastBase0AuctionId(eventId) / HOT_AUCTION_RATIO) * HOT_AUCTION_RATIO
          : this.nextBase0AuctionId(eventId);
      cols.ids[i] = auction + FIRST_AUCTION_ID;
      const bidder =
        this.nextInt(c.hotBiddersRatio) > 0
          ? Math.trunc(lastBase0PersonId(eventId) / HOT_BIDDER_RATIO) * HOT_BIDDER_RATIO + 1
          : this.nextBase0PersonId(eventId);
      cols.refs[i] = bidder + FIRST_PERSON_ID;
      cols.prices[i] = this.nextPrice();
      const len = this.extraLength(8 + 8 + 8 + 8, c.avgBidByteSize);
      let channel = NO_CHANNEL;
      if (c.bidChannels) {
        // The channel is drawn after the extra: jump over the extra's draws.
        this.jump(Math.ceil(len / 6));
        channel = this.nextInt(HOT_CHANNELS_RATIO) > 0 ? HOT_CHANNEL_BASE + this.nextInt(HOT_CHANNELS.length) : this.nextInt(CHANNELS_NUMBER);
      }
      cols.channels[i] = channel;
      cols.reserves[i] = 0;
      cols.expires[i] = 0;
      cols.categories[i] = 0;
      cols.names[i] = 0;
      cols.cities[i] = 0;
      cols.states[i] = 0;
    }
  }

  /** The draws of writeString (nextString(maxLength)) without the characters. */
  private skipString(maxLength: number): void {
    const len = MIN_STRING_LENGTH + this.nextInt(maxLength - MIN_STRING_LENGTH);
    let s0 = this.s0;
    let s1 = this.s1;
    let s2 = this.s2;
    for (let k = 0; k < len; k++) {
      let u: number;
      let r: number;
      do {
        const t0 = (Math.imul(s0, M0) + 0xb) | 0;
        const pp = Math.imul(s1, M0) >>> 0;
        const qq = Math.imul(s0, M1) >>> 0;
        const u1 = (pp & 0xffff) + (qq & 0xffff) + (t0 >>> 16);
        s2 = ((Math.imul(s2, M0) + Math.imul(s1, M1) + Math.imul(s0, M2) + (pp >>> 16) + (qq >>> 16) + (u1 >>> 16)) | 0) & 0xffff;
        s1 = u1 & 0xffff;
        s0 = t0 & 0xffff;
        u = (s2 << 15) | (s1 >>> 1);
        r = u % 13;
      } while (((u - r + 12) | 0) < 0);
      if (r === 0) continue; // a space
      do {
        const t0 = (Math.imul(s0, M0) + 0xb) | 0;
        const pp = Math.imul(s1, M0) >>> 0;
        const qq = Math.imul(s0, M1) >>> 0;
        const u1 = (pp & 0xffff) + (qq & 0xffff) + (t0 >>> 16);
        s2 = ((Math.imul(s2, M0) + Math.imul(s1, M1) + Math.imul(s0, M2) + (pp >>> 16) + (qq >>> 16) + (u1 >>> 16)) | 0) & 0xffff;
        s1 = u1 & 0xffff;
        s0 = t0 & 0xffff;
        u = (s2 << 15) | (s1 >>> 1);
        r = u % 26;
      } while (((u - r + 25) | 0) < 0);
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
  }

  // -------------------------------------------------------------------------------------------
  // Objects

  private str(s: number, e: number): string {
    return s === e ? '' : this.scratch.latin1Slice(s, e);
  }

  private materialize(): NexmarkEvent {
    switch (this.kind) {
      case EVENT_PERSON: {
        const p: Person = {
          type: 'person',
          id: this.id,
          name: NAMES.str[this.nameIdx]!,
          emailAddress: this.str(this.s1s, this.s1e),
          creditCard: this.str(this.s2s, this.s2e),
          city: CITIES.str[this.cityIdx]!,
          state: STATES.str[this.stateIdx]!,
          dateTime: this.dateTime,
          extra: this.str(this.sxs, this.sxe),
        };
        return p;
      }
      case EVENT_AUCTION: {
        const a: Auction = {
          type: 'auction',
          id: this.id,
          itemName: this.str(this.s1s, this.s1e),
          description: this.str(this.s2s, this.s2e),
          initialBid: this.price,
          reserve: this.reserve,
          dateTime: this.dateTime,
          expires: this.expires,
          seller: this.ref,
          category: this.category,
          extra: this.str(this.sxs, this.sxe),
        };
        return a;
      }
      default: {
        const idx = this.nameIdx;
        const b: Bid = {
          type: 'bid',
          auction: this.id,
          bidder: this.ref,
          price: this.price,
          channel: idx < 0 ? '' : this.hotChannel ? HOT_CHANNEL_NAMES.str[idx]! : channelNames[idx]!,
          url: idx < 0 ? '' : this.hotChannel ? hotUrls!.str[idx]! : channelUrls[idx]!,
          dateTime: this.dateTime,
          extra: this.str(this.sxs, this.sxe),
        };
        return b;
      }
    }
  }
}

/** Generate `count` events from a fresh generator (convenience for tests and small tools). */
export function generateEvents(count: number, config: Partial<NexmarkConfig> = {}): NexmarkEvent[] {
  const g = new NexmarkGenerator({ ...config, numEvents: Math.max(count, config.numEvents ?? 0) });
  const out: NexmarkEvent[] = [];
  g.nextBatch(out, count);
  return out;
}
