/**
 * Nexmark events as compact bytes, for the queries' repartition hops (keyBy's `value` serde): the
 * events topic keeps nexmark/nexmark's JSON, but a hop between two of our own tasks need not
 * write JSON text and parse it back per event.
 *
 * Layout: one type byte (0 person, 1 auction, 2 bid: model.ts's event_type codes), then the
 * event's fields in the model's order (`type` aside): numbers as float64 little-endian (ids,
 * prices and times are safe integers; any double round-trips, NaN and -0 included), strings as a
 * u32 little-endian header and the bytes. The header's top two bits say what the bytes are, its
 * low 30 bits how many there are: 01 ASCII (every byte < 0x80: the generator's strings; read as
 * latin1, the fastest bytes -> string), 00 UTF-8 (other well-formed strings), 10 UTF-16LE code
 * units: only for a string that is not well-formed UTF-16 (a lone surrogate, which UTF-8 would
 * turn into U+FFFD), so that every string round-trips exactly, as it does through the JSON serde
 * (JSON.stringify escapes lone surrogates), and Serde.copy (copyEvent: the same strings) is what
 * a round trip gives.
 *
 * Encoding: one Buffer.allocUnsafe per event, of the exact size. Decoding: the same object (same
 * fields, same order) as decodeEventJson and copyEvent. Bytes that are not an encoding (empty,
 * truncated, an unknown type byte, trailing bytes, a bad string header, invalid UTF-8) throw an
 * EventDecodeError. (The bytes of an ASCII string are not checked to be < 0x80, nor are numbers
 * checked: a flipped bit inside a field is not detected, as in JSON text.)
 */
import { custom, type Serde } from '../../src/index.js';
import { EVENT_AUCTION, EVENT_BID, EVENT_PERSON, type Auction, type Bid, type NexmarkEvent, type Person } from './model.js';
import { copyEvent } from './queries/query.js';

/** What decoding bytes that are not an event's encoding throws. */
export class EventDecodeError extends Error {
  readonly code = 'NEXMARK_EVENT_DECODE';
  constructor(message: string) {
    super(message);
    this.name = 'EventDecodeError';
  }
}

/** Node's Buffer string methods without the encoding dispatch of write()/toString() (public, undocumented). */
type FastBuffer = Buffer & {
  latin1Write(s: string, offset: number, length?: number): number;
  utf8Write(s: string, offset: number, length?: number): number;
  ucs2Write(s: string, offset: number, length?: number): number;
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
  ucs2Slice(start: number, end: number): string;
};

/** String.prototype.isWellFormed (Node 20; ES2024, newer than the lib this compiles against). */
type WellFormable = string & { isWellFormed(): boolean };

/** The header's kinds (top two bits): UTF-8, ASCII, UTF-16LE. */
const UTF8 = 0;
const ASCII = 1;
const UTF16 = 2;
const LENGTH_BITS = 0x3fffffff;

/** The bytes a string takes after its 4-byte header: its length exactly when it is ASCII. */
function strBytes(s: string): number {
  const n = Buffer.byteLength(s, 'utf8');
  // n === length: all ASCII (any other code unit takes 2 or more UTF-8 bytes).
  if (n === s.length) return n;
  if (!(s as WellFormable).isWellFormed()) return 2 * s.length;
  if (n > LENGTH_BITS) throw new RangeError(`a string of ${n} UTF-8 bytes is too long for the binary event layout`);
  return n;
}

/** Writes `s` (header and bytes) at `p`, `n` = strBytes(s); returns the end. */
function writeStr(b: FastBuffer, p: number, s: string, n: number): number {
  if (n === s.length) {
    // ASCII (or empty).
    b.writeUInt32LE((ASCII << 30) | n, p);
    if (n !== 0) b.latin1Write(s, p + 4, n);
  } else if ((s as WellFormable).isWellFormed()) {
    b.writeUInt32LE(n, p);
    b.utf8Write(s, p + 4, n);
  } else {
    b.writeUInt32LE(((UTF16 << 30) | n) >>> 0, p);
    b.ucs2Write(s, p + 4, n);
  }
  return p + 4 + n;
}

/** The event's bytes (see the layout above). */
export function encodeEventBinary(e: NexmarkEvent): Buffer {
  switch (e.type) {
    case 'bid': {
      const channel = strBytes(e.channel);
      const url = strBytes(e.url);
      const extra = strBytes(e.extra);
      const b = Buffer.allocUnsafe(1 + 8 * 4 + 12 + channel + url + extra) as FastBuffer;
      b[0] = EVENT_BID;
      b.writeDoubleLE(e.auction, 1);
      b.writeDoubleLE(e.bidder, 9);
      b.writeDoubleLE(e.price, 17);
      let p = writeStr(b, 25, e.channel, channel);
      p = writeStr(b, p, e.url, url);
      b.writeDoubleLE(e.dateTime, p);
      writeStr(b, p + 8, e.extra, extra);
      return b;
    }
    case 'auction': {
      const itemName = strBytes(e.itemName);
      const description = strBytes(e.description);
      const extra = strBytes(e.extra);
      const b = Buffer.allocUnsafe(1 + 8 * 7 + 12 + itemName + description + extra) as FastBuffer;
      b[0] = EVENT_AUCTION;
      b.writeDoubleLE(e.id, 1);
      let p = writeStr(b, 9, e.itemName, itemName);
      p = writeStr(b, p, e.description, description);
      p = b.writeDoubleLE(e.initialBid, p);
      p = b.writeDoubleLE(e.reserve, p);
      p = b.writeDoubleLE(e.dateTime, p);
      p = b.writeDoubleLE(e.expires, p);
      p = b.writeDoubleLE(e.seller, p);
      p = b.writeDoubleLE(e.category, p);
      writeStr(b, p, e.extra, extra);
      return b;
    }
    case 'person': {
      const name = strBytes(e.name);
      const email = strBytes(e.emailAddress);
      const card = strBytes(e.creditCard);
      const city = strBytes(e.city);
      const state = strBytes(e.state);
      const extra = strBytes(e.extra);
      const b = Buffer.allocUnsafe(1 + 8 * 2 + 24 + name + email + card + city + state + extra) as FastBuffer;
      b[0] = EVENT_PERSON;
      b.writeDoubleLE(e.id, 1);
      let p = writeStr(b, 9, e.name, name);
      p = writeStr(b, p, e.emailAddress, email);
      p = writeStr(b, p, e.creditCard, card);
      p = writeStr(b, p, e.city, city);
      p = writeStr(b, p, e.state, state);
      p = b.writeDoubleLE(e.dateTime, p);
      writeStr(b, p, e.extra, extra);
      return b;
    }
    default:
      throw new TypeError(`not a nexmark event: type ${String((e as { type?: unknown }).type)}`);
  }
}

/** The decoder's cursor (one decode at a time: nothing here awaits). */
let buf: FastBuffer;
let pos = 0;
let end = 0;

function num(): number {
  const p = pos;
  if (p + 8 > end) throw new EventDecodeError(`truncated: a number at byte ${p} of ${end}`);
  pos = p + 8;
  return buf.readDoubleLE(p);
}

function str(): string {
  const b = buf;
  let p = pos;
  if (p + 4 > end) throw new EventDecodeError(`truncated: a string header at byte ${p} of ${end}`);
  const h = b.readUInt32LE(p);
  p += 4;
  const n = h & LENGTH_BITS;
  if (p + n > end) throw new EventDecodeError(`truncated: a string of ${n} bytes at byte ${p} of ${end}`);
  pos = p + n;
  const kind = h >>> 30;
  if (kind === ASCII) return n === 0 ? '' : b.latin1Slice(p, p + n);
  if (kind === UTF8) {
    const s = b.utf8Slice(p, p + n);
    // Invalid UTF-8 decodes to U+FFFD: a string holding one is checked against its bytes.
    if (s.includes('\ufffd') && Buffer.compare(Buffer.from(s, 'utf8'), b.subarray(p, p + n)) !== 0) {
      throw new EventDecodeError(`invalid UTF-8 in the string at byte ${p}`);
    }
    return s;
  }
  if (kind === UTF16 && (n & 1) === 0) return b.ucs2Slice(p, p + n);
  throw new EventDecodeError(`bad string header 0x${h.toString(16)} at byte ${p - 4}`);
}

function person(): Person {
  const id = num();
  const name = str();
  const emailAddress = str();
  const creditCard = str();
  const city = str();
  const state = str();
  const dateTime = num();
  const extra = str();
  return { type: 'person', id, name, emailAddress, creditCard, city, state, dateTime, extra };
}

function auction(): Auction {
  const id = num();
  const itemName = str();
  const description = str();
  const initialBid = num();
  const reserve = num();
  const dateTime = num();
  const expires = num();
  const seller = num();
  const category = num();
  const extra = str();
  return { type: 'auction', id, itemName, description, initialBid, reserve, dateTime, expires, seller, category, extra };
}

function bid(): Bid {
  const auction = num();
  const bidder = num();
  const price = num();
  const channel = str();
  const url = str();
  const dateTime = num();
  const extra = str();
  return { type: 'bid', auction, bidder, price, channel, url, dateTime, extra };
}

/** The event encodeEventBinary wrote into `bytes`; an EventDecodeError for anything else. */
export function decodeEventBinary(bytes: Buffer): NexmarkEvent {
  buf = bytes as FastBuffer;
  pos = 1;
  end = bytes.length;
  if (end === 0) throw new EventDecodeError('empty');
  const t = bytes[0];
  const e = t === EVENT_BID ? bid() : t === EVENT_AUCTION ? auction() : t === EVENT_PERSON ? person() : undefined;
  if (e === undefined) throw new EventDecodeError(`unknown event type byte ${t}`);
  if (pos !== end) throw new EventDecodeError(`${end - pos} bytes after the event`);
  return e;
}

/**
 * The events' binary serde, for repartition hops whose values are events. `copy` is the JSON
 * serde's (copyEvent): the same object a round trip gives (it declines what it cannot vouch for,
 * which then goes as bytes), so a hop kept in one process still skips the bytes.
 */
export const nexmarkEventBinary: Serde<NexmarkEvent> = custom<NexmarkEvent>({
  name: 'nexmark-event-binary',
  serialize: encodeEventBinary,
  deserialize: decodeEventBinary,
  copy: copyEvent,
});

/**
 * nexmarkEventBinary typed for a stream of some of the event types (a keyBy after a filter to
 * bids, or auctions and persons): the same serde, whose values on such a stream are of those
 * types only.
 */
export function eventBinary<E extends NexmarkEvent = NexmarkEvent>(): Serde<E> {
  return nexmarkEventBinary as Serde<E>;
}
