/**
 * Nexmark events from their JSON bytes, fast: a parser for exactly the layout eventToJson (and the
 * generator's fillJson) writes — `{"event_type":2,"bid":{"auction":…,…}}`, fields in the model's
 * order, no whitespace, integer numbers — that reads the Buffer in place: no UTF-8 decoding of the
 * whole text, no intermediate envelope object, no spread. Anything else (whitespace, another field
 * order, a fraction or exponent, a non-ASCII character, a string escape it does not handle) goes to
 * model.ts eventFromJson (JSON.parse), so the result is always what JSON.parse gives, and invalid
 * JSON still throws its error. This is the counterpart of Flink's schema-aware JSON format: in the
 * Nexmark runs, decoding the events was the largest part of q0-q2's CPU time (JSON.parse of the
 * whole text, then copying the nested object).
 */
import { eventFromJson, type Auction, type Bid, type NexmarkEvent, type Person } from './model.js';

/**
 * A literal piece of the layout: its bytes, and the same bytes as little-endian 32-bit words,
 * which expect() compares four at a time.
 */
interface Lit {
  readonly bytes: Uint8Array;
  readonly words: Uint32Array;
}

const lit = (s: string): Lit => {
  const bytes = Uint8Array.from(Buffer.from(s, 'latin1'));
  const dv = new DataView(bytes.buffer);
  const words = new Uint32Array(bytes.length >> 2);
  for (let j = 0; j < words.length; j++) words[j] = dv.getUint32(4 * j, true);
  return { bytes, words };
};

const HEAD = lit('{"event_type":');
const PERSON = lit(',"person":{"id":');
const AUCTION = lit(',"auction":{"id":');
const BID = lit(',"bid":{"auction":');
const K_NAME = lit(',"name":');
const K_EMAIL = lit(',"emailAddress":');
const K_CC = lit(',"creditCard":');
const K_CITY = lit(',"city":');
const K_STATE = lit(',"state":');
const K_DATE = lit(',"dateTime":');
const K_EXTRA = lit(',"extra":');
const K_ITEM = lit(',"itemName":');
const K_DESC = lit(',"description":');
const K_INITIAL = lit(',"initialBid":');
const K_RESERVE = lit(',"reserve":');
const K_EXPIRES = lit(',"expires":');
const K_SELLER = lit(',"seller":');
const K_CATEGORY = lit(',"category":');
const K_BIDDER = lit(',"bidder":');
const K_PRICE = lit(',"price":');
const K_CHANNEL = lit(',"channel":');
const K_URL = lit(',"url":');

/** Node's Buffer has a (public but undocumented) latin1Slice: the fastest ASCII bytes -> string. */
type LatinBuffer = Buffer & { latin1Slice(start: number, end: number): string };

/** Thrown inside the parser when the text leaves the fast layout; caught by decodeEventJson. */
const OFF_LAYOUT = new Error('off the fast layout');

/** The parser's cursor (one parse at a time: nothing here awaits). */
let buf: LatinBuffer;
let pos = 0;
/**
 * buf's memory as a DataView (for expect's word compares), and where buf starts in it. The
 * values of one fetched batch share their memory, so the view is made once per batch.
 */
let view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
let viewOffset = 0;

function expect(l: Lit): void {
  const b = buf;
  const p = pos;
  const bytes = l.bytes;
  const n = bytes.length;
  if (p + n > b.length) throw OFF_LAYOUT;
  const words = l.words;
  const v = view;
  const at = viewOffset + p;
  for (let j = 0; j < words.length; j++) if (v.getUint32(at + 4 * j, true) !== words[j]) throw OFF_LAYOUT;
  for (let i = 4 * words.length; i < n; i++) if (b[p + i] !== bytes[i]) throw OFF_LAYOUT;
  pos = p + n;
}

/** A JSON integer of at most 15 digits (exact as a double, as JSON.parse reads it). */
function int(): number {
  const b = buf;
  let p = pos;
  const neg = b[p] === 45; // -
  if (neg) p++;
  const start = p;
  let v = 0;
  for (let c = b[p]!; c >= 48 && c <= 57; c = b[++p]!) v = v * 10 + (c - 48);
  const digits = p - start;
  // No digit, a leading zero ("01" is not JSON), too many digits to be exact, or a fraction or
  // exponent next: JSON.parse decides.
  if (digits === 0 || digits > 15 || (digits > 1 && b[start] === 48)) throw OFF_LAYOUT;
  const next = b[p];
  if (next === 46 || next === 101 || next === 69) throw OFF_LAYOUT;
  pos = p;
  return neg ? -v : v;
}

/**
 * What a byte means inside a JSON string: 0 itself (printable ASCII), 1 the closing quote, 2 a
 * backslash, 3 off the layout (a control character, which JSON forbids, or non-ASCII: UTF-8 is
 * left to JSON.parse). One table load per byte instead of four comparisons.
 */
const IN_STRING = new Uint8Array(256).fill(3);
for (let c = 0x20; c < 0x80; c++) IN_STRING[c] = 0;
IN_STRING[34] = 1;
IN_STRING[92] = 2;

/** A JSON string of printable ASCII (else JSON.parse decides). */
function str(): string {
  const b = buf;
  let p = pos;
  if (b[p] !== 34) throw OFF_LAYOUT;
  const start = ++p;
  const n = b.length;
  let k = 3;
  while (p < n && (k = IN_STRING[b[p]!]!) === 0) p++;
  if (k === 1) {
    pos = p + 1;
    return start === p ? '' : b.latin1Slice(start, p);
  }
  if (k === 2) return escapedStr(start, p);
  throw OFF_LAYOUT;
}

/**
 * Steps over a string the query does not read (its projection says so), making no string: only
 * its closing quote is looked for (the native indexOf, then the backslashes before it counted: an
 * odd number escapes it). Its characters are not checked: a projected decode checks what it reads.
 */
function skipStr(): string {
  const b = buf;
  if (b[pos] !== 34) throw OFF_LAYOUT;
  let from = pos + 1;
  for (;;) {
    const q = b.indexOf(34, from);
    if (q < 0) throw OFF_LAYOUT;
    let k = q - 1;
    while (k >= from && b[k] === 92) k--;
    if ((q - 1 - k) % 2 === 0) {
      pos = q + 1;
      return '';
    }
    from = q + 1;
  }
}

/** Unescaped bytes of a string with escapes (the generator's extras hold '\' now and then). */
let scratch = Buffer.alloc(1024) as LatinBuffer;

/**
 * The rest of a string from its first backslash at `p`: the two-character escapes unescaped into
 * `scratch`, then one slice. A \u escape goes to JSON.parse (of just this string).
 */
function escapedStr(start: number, p: number): string {
  const b = buf;
  const n = b.length;
  if (scratch.length < n) scratch = Buffer.alloc(2 * n) as LatinBuffer;
  const out = scratch;
  // A loop, not Buffer.copy: the prefix is short and copy's argument checks cost more than it.
  let o = 0;
  for (let i = start; i < p; i++) out[o++] = b[i]!;
  while (p < n) {
    const c = b[p]!;
    const k = IN_STRING[c]!;
    if (k === 0) {
      out[o++] = c;
      p++;
    } else if (k === 1) {
      pos = p + 1;
      return out.latin1Slice(0, o);
    } else if (k === 2) {
      const e = ESCAPED[b[p + 1]!]!;
      if (e === 0) return parsedStr(start);
      out[o++] = e;
      p += 2;
    } else {
      throw OFF_LAYOUT;
    }
  }
  throw OFF_LAYOUT;
}

/** The character a two-character escape stands for (0: none; \u is not one of them). */
const ESCAPED = new Uint8Array(256);
ESCAPED[34] = 34; // \"
ESCAPED[92] = 92; // \\
ESCAPED[47] = 47; // \/
ESCAPED[98] = 8; // \b
ESCAPED[102] = 12; // \f
ESCAPED[110] = 10; // \n
ESCAPED[114] = 13; // \r
ESCAPED[116] = 9; // \t

/** JSON.parse of the string starting at `start` (after its quote): for \u escapes, and bad ones. */
function parsedStr(start: number): string {
  const b = buf;
  const n = b.length;
  for (let p = start; p < n; p++) {
    const c = b[p]!;
    if (c === 92) {
      p++;
      continue;
    }
    if (c === 34) {
      pos = p + 1;
      return JSON.parse(b.latin1Slice(start - 1, p + 1)) as string;
    }
    if (c < 0x20 || c >= 0x80) throw OFF_LAYOUT;
  }
  throw OFF_LAYOUT;
}

/** The text fields of each event type a projection can leave out (numbers are always read: cheap). */
export type PersonText = 'name' | 'emailAddress' | 'creditCard' | 'city' | 'state' | 'extra';
export type AuctionText = 'itemName' | 'description' | 'extra';
export type BidText = 'channel' | 'url' | 'extra';

/**
 * What a reader of the events uses: the event types it reads and, of each, its text fields. A
 * type left out comes back as a placeholder of that type (every field 0 or ''), its text not
 * looked at past the event type; a text field left out comes back as '' (stepped over, not
 * made). This is the projection pushdown of Flink's planner into its formats, written by hand:
 * the Nexmark queries filter on the type first, and most read a few of a bid's fields.
 */
export interface EventReads {
  readonly person?: readonly PersonText[];
  readonly auction?: readonly AuctionText[];
  readonly bid?: readonly BidText[];
}

/** Bits of the text fields read, per type (in the order the layout has them); -1: the type is not read. */
export interface Projection {
  readonly person: number;
  readonly auction: number;
  readonly bid: number;
}

const PERSON_TEXT: readonly PersonText[] = ['name', 'emailAddress', 'creditCard', 'city', 'state', 'extra'];
const AUCTION_TEXT: readonly AuctionText[] = ['itemName', 'description', 'extra'];
const BID_TEXT: readonly BidText[] = ['channel', 'url', 'extra'];

const mask = <F extends string>(all: readonly F[], read: readonly F[] | undefined): number =>
  read === undefined ? -1 : all.reduce((m, f, i) => (read.includes(f) ? m | (1 << i) : m), 0);

const EVERYTHING: Projection = { person: 0xff, auction: 0xff, bid: 0xff };

/** The projection of `reads` (undefined: every type, every field). */
export function projection(reads: EventReads | undefined): Projection {
  if (reads === undefined) return EVERYTHING;
  return { person: mask(PERSON_TEXT, reads.person), auction: mask(AUCTION_TEXT, reads.auction), bid: mask(BID_TEXT, reads.bid) };
}

/** The events of a type nobody reads: one frozen object each, the shape of a decoded one. */
const UNREAD_PERSON: Person = Object.freeze({ type: 'person', id: 0, name: '', emailAddress: '', creditCard: '', city: '', state: '', dateTime: 0, extra: '' });
const UNREAD_AUCTION: Auction = Object.freeze({ type: 'auction', id: 0, itemName: '', description: '', initialBid: 0, reserve: 0, dateTime: 0, expires: 0, seller: 0, category: 0, extra: '' });
const UNREAD_BID: Bid = Object.freeze({ type: 'bid', auction: 0, bidder: 0, price: 0, channel: '', url: '', dateTime: 0, extra: '' });

/** The text fields read of the event being decoded (a bit per field, as Projection). */
let text = 0xff;

const txt = (bit: number): string => ((text & bit) !== 0 ? str() : skipStr());

function person(): Person {
  expect(PERSON);
  const id = int();
  expect(K_NAME);
  const name = txt(1);
  expect(K_EMAIL);
  const emailAddress = txt(2);
  expect(K_CC);
  const creditCard = txt(4);
  expect(K_CITY);
  const city = txt(8);
  expect(K_STATE);
  const state = txt(16);
  expect(K_DATE);
  const dateTime = int();
  expect(K_EXTRA);
  const extra = txt(32);
  return { type: 'person', id, name, emailAddress, creditCard, city, state, dateTime, extra };
}

function auction(): Auction {
  expect(AUCTION);
  const id = int();
  expect(K_ITEM);
  const itemName = txt(1);
  expect(K_DESC);
  const description = txt(2);
  expect(K_INITIAL);
  const initialBid = int();
  expect(K_RESERVE);
  const reserve = int();
  expect(K_DATE);
  const dateTime = int();
  expect(K_EXPIRES);
  const expires = int();
  expect(K_SELLER);
  const seller = int();
  expect(K_CATEGORY);
  const category = int();
  expect(K_EXTRA);
  const extra = txt(4);
  return { type: 'auction', id, itemName, description, initialBid, reserve, dateTime, expires, seller, category, extra };
}

function bid(): Bid {
  expect(BID);
  const auction = int();
  expect(K_BIDDER);
  const bidder = int();
  expect(K_PRICE);
  const price = int();
  expect(K_CHANNEL);
  const channel = txt(1);
  expect(K_URL);
  const url = txt(2);
  expect(K_DATE);
  const dateTime = int();
  expect(K_EXTRA);
  const extra = txt(4);
  return { type: 'bid', auction, bidder, price, channel, url, dateTime, extra };
}

function parse(p: Projection): NexmarkEvent {
  expect(HEAD);
  const t = buf[pos++];
  const m = t === 50 ? p.bid : t === 49 ? p.auction : t === 48 ? p.person : -2;
  if (m === -1) return t === 50 ? UNREAD_BID : t === 49 ? UNREAD_AUCTION : UNREAD_PERSON;
  text = m;
  const e = t === 50 ? bid() : t === 49 ? auction() : t === 48 ? person() : undefined;
  // The two closing braces end the text.
  if (e === undefined || pos + 2 !== buf.length || buf[pos] !== 125 || buf[pos + 1] !== 125) throw OFF_LAYOUT;
  return e;
}

/**
 * An event from its JSON bytes: the same object (same fields, same order, same values) as
 * eventFromJson, which it falls back to for any text off the layout eventToJson writes. With a
 * projection (projection(reads)), the types and text fields it leaves out are not made (see
 * EventReads); text off the layout still gives eventFromJson's whole event.
 */
export function decodeEventJson(bytes: Buffer, reads: Projection = EVERYTHING): NexmarkEvent {
  buf = bytes as LatinBuffer;
  if (bytes.buffer !== view.buffer) view = new DataView(bytes.buffer);
  viewOffset = bytes.byteOffset;
  pos = 0;
  try {
    return parse(reads);
  } catch (err) {
    if (err !== OFF_LAYOUT) throw err;
    return eventFromJson(bytes);
  }
}
