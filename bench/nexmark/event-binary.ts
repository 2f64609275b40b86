/**
 * Nexmark events as compact bytes, for the queries' repartition hops (keyBy's `value` serde): the
 * events topic keeps nexmark/nexmark's JSON, but a hop between two of our own tasks need not
 * write JSON text and parse it back per event.
 *
 * Layout: one type byte (0 person, 1 auction, 2 bid: model.ts's event_type codes), then the
 * event's fields in the model's order (`type` aside): numbers as float64 little-endian (ids,
 * prices and times are safe integers; any double round-trips, NaN and -0 included), strings as a
 * u32 little-endian header and the bytes. The header is the UTF-8 byte length; with its top bit
 * set, the low 31 bits are the byte length of UTF-16LE code units instead: used only for a string
 * that is not well-formed UTF-16 (a lone surrogate, which UTF-8 would turn into U+FFFD), so that
 * every string round-trips exactly, as it does through the JSON serde (JSON.stringify escapes
 * lone surrogates), and Serde.copy (copyEvent: the same strings) is what a round trip gives.
 *
 * Encoding: one Buffer.allocUnsafe per event, of the exact size. Decoding: the same object (same
 * fields, same order) as decodeEventJson and copyEvent. Bytes that are not an encoding (empty,
 * truncated, an unknown type byte, trailing bytes, a bad string header, invalid UTF-8) throw an
 * EventDecodeError.
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
  utf8Write(s: string, offset: number, length?: number): number;
  ucs2Write(s: string, offset: number, length?: number): number;
  utf8Slice(start: number, end: number): string;
  ucs2Slice(start: number, end: number): string;
};

/** String.prototype.isWellFormed (Node 20; ES2024, newer than the lib this compiles against). */
type WellFormable = string & { isWellFormed(): boolean };

/** The header's flag: UTF-16LE code units follow, not UTF-8. */
const UTF16 = 0x80000000;

/** The bytes a string takes after its 4-byte header. */
function strBytes(s: string): number {
  const n = Buffer.byteLength(s, 'utf8');
  // n === length: all ASCII (any other code unit takes 2 or more UTF-8 bytes).
  return n === s.length || (s as WellFormable).isWellFormed() ? n : 2 * s.length;
}

/** Writes `s` (header and bytes) at `p`; returns the end. */
function writeStr(b: FastBuffer, p: number, s: string): number {
  const n = s.length === 0 ? 0 : b.utf8Write(s, p + 4);
  if (n === s.length || (s as WellFormable).isWellFormed()) {
    b.writeUInt32LE(n, p);
    return p + 4 + n;
  }
  const u = b.ucs2Write(s, p + 4);
  b.writeUInt32LE((UTF16 | u) >>> 0, p);
  return p + 4 + u;
}

/** The event's bytes (see the layout above). */
export function encodeEventBinary(e: NexmarkEvent): Buffer {
  switch (e.type) {
    case 'bid': {
      const b = Buffer.allocUnsafe(1 + 8 * 4 + 12 + strBytes(e.channel) + strBytes(e.url) + strBytes(e.extra)) as FastBuffer;
      b[0] = EVENT_BID;
      b.writeDoubleLE(e.auction, 1);
      b.writeDoubleLE(e.bidder, 9);
      b.writeDoubleLE(e.price, 17);
      let p = writeStr(b, 25, e.channel);
      p = writeStr(b, p, e.url);
      b.writeDoubleLE(e.dateTime, p);
      writeStr(b, p + 8, e.extra);
      return b;
    }
    case 'auction': {
      const b = Buffer.allocUnsafe(1 + 8 * 7 + 12 + strBytes(e.itemName) + strBytes(e.description) + strBytes(e.extra)) as FastBuffer;
      b[0] = EVENT_AUCTION;
      b.writeDoubleLE(e.id, 1);
      let p = writeStr(b, 9, e.itemName);
      p = writeStr(b, p, e.description);
      p = b.writeDoubleLE(e.initialBid, p);
      p = b.writeDoubleLE(e.reserve, p);
      p = b.writeDoubleLE(e.dateTime, p);
      p = b.writeDoubleLE(e.expires, p);
      p = b.writeDoubleLE(e.seller, p);
      p = b.writeDoubleLE(e.category, p);
      writeStr(b, p, e.extra);
      return b;
    }
    case 'person': {
      const b = Buffer.allocUnsafe(
        1 + 8 * 2 + 24 + strBytes(e.name) + strBytes(e.emailAddress) + strBytes(e.creditCard) + strBytes(e.city) + strBytes(e.state) + strBytes(e.extra),
      ) as FastBuffer;
      b[0] = EVENT_PERSON;
      b.writeDoubleLE(e.id, 1);
      let p = writeStr(b, 9, e.name);
      p = writeStr(b, p, e.emailAddress);
      p = writeStr(b, p, e.creditCard);
      p = writeStr(b, p, e.city);
      p = writeStr(b, p, e.state);
      p = b.writeDoubleLE(e.dateTime, p);
      writeStr(b, p, e.extra);
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
  const n = h & 0x7fffffff;
  if (p + n > end) throw new EventDecodeError(`truncated: a string of ${n} bytes at byte ${p} of ${end}`);
  pos = p + n;
  if (h === n) {
    if (n === 0) return '';
    const s = b.utf8Slice(p, p + n);
    // Invalid UTF-8 decodes to U+FFFD: a string holding one is checked against its bytes.
    if (s.includes('\ufffd') && Buffer.compare(Buffer.from(s, 'utf8'), b.subarray(p, p + n)) !== 0) {
      throw new EventDecodeError(`invalid UTF-8 in the string at byte ${p}`);
    }
    return s;
  }
  if ((n & 1) !== 0) throw new EventDecodeError(`odd UTF-16 byte length ${n} at byte ${p}`);
  return b.ucs2Slice(p, p + n);
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
