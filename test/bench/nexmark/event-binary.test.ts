// The binary event serde of the queries' repartition hops (bench/nexmark/event-binary.ts) must give
// back exactly the event it was given: same fields, same order (as decodeEventJson and copyEvent),
// same values, for every string (non-ASCII, empty, lone surrogates) and every double; bytes that
// are not an encoding must throw its typed error, not decode to garbage.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeEventBinary, encodeEventBinary, EventDecodeError, nexmarkEventBinary } from '../../../bench/nexmark/event-binary.js';
import { decodeEventJson } from '../../../bench/nexmark/event-json.js';
import { NexmarkGenerator } from '../../../bench/nexmark/generator.js';
import { eventToJson, type NexmarkEvent } from '../../../bench/nexmark/model.js';
import { copyEvent } from '../../../bench/nexmark/queries/query.js';

function roundTrip(e: NexmarkEvent): NexmarkEvent {
  return nexmarkEventBinary.deserialize(nexmarkEventBinary.serialize(e));
}

function same(got: NexmarkEvent, want: NexmarkEvent): void {
  assert.deepStrictEqual(got, want);
  assert.deepEqual(Object.keys(got), Object.keys(want), 'field order');
  const g = got as unknown as Record<string, unknown>;
  const w = want as unknown as Record<string, unknown>;
  for (const k of Object.keys(w)) assert.ok(Object.is(g[k], w[k]), `${k}: ${String(g[k])} vs ${String(w[k])}`);
}

const BID: NexmarkEvent = { type: 'bid', auction: 1000, bidder: 2001, price: 1234, channel: 'Google', url: 'https://www.nexmark.com/a', dateTime: 1436918400000, extra: 'xyz' };
const AUCTION: NexmarkEvent = {
  type: 'auction',
  id: 1000,
  itemName: 'item',
  description: 'desc',
  initialBid: 10,
  reserve: 20,
  dateTime: 1436918400000,
  expires: 1436918410000,
  seller: 1001,
  category: 10,
  extra: '',
};
const PERSON: NexmarkEvent = { type: 'person', id: 1001, name: 'p', emailAddress: 'e@x', creditCard: '1234', city: 'Portland', state: 'OR', dateTime: 1436918400000, extra: 'x' };

test('round-trips 20,000 generated events: same objects, same field order as the JSON decoder', () => {
  const g = new NexmarkGenerator({ numEvents: 20_000 });
  const seen = { bid: 0, auction: 0, person: 0 };
  for (const e of g) {
    seen[e.type]++;
    const got = roundTrip(e);
    same(got, e);
    assert.equal(JSON.stringify(got), JSON.stringify(e));
    // The object the events topic's decoder makes, and the in-process copy: the same shape.
    assert.equal(JSON.stringify(Object.keys(got)), JSON.stringify(Object.keys(decodeEventJson(Buffer.from(eventToJson(e))))));
    assert.equal(JSON.stringify(got), JSON.stringify(copyEvent(e)));
  }
  assert.equal(seen.bid + seen.auction + seen.person, 20_000);
  assert.ok(seen.bid > 0 && seen.auction > 0 && seen.person > 0, JSON.stringify(seen));
});

test('the encoding is compact: smaller than the JSON of a generated bid', () => {
  const g = new NexmarkGenerator({ numEvents: 100 });
  for (const e of g) assert.ok(encodeEventBinary(e).length < Buffer.byteLength(eventToJson(e)), e.type);
});

test('non-ASCII, empty and ill-formed strings round-trip exactly', () => {
  const texts = ['', 'a', 'Zoë Ünal', 'Köln', '€', '日本語', '😀 emoji', 'a\u0000b', '\\"\n\t', '\ud800', 'x\udc00y', '\ud83d', '\ufffd', 'é'.repeat(5000)];
  for (const t of texts) {
    same(roundTrip({ ...BID, channel: t, url: t, extra: t } as NexmarkEvent), { ...BID, channel: t, url: t, extra: t } as NexmarkEvent);
    const a = { ...AUCTION, itemName: t, description: '', extra: t } as NexmarkEvent;
    same(roundTrip(a), a);
    const p = { ...PERSON, name: t, emailAddress: t, creditCard: '', city: t, state: t, extra: t } as NexmarkEvent;
    same(roundTrip(p), p);
  }
});

test('negative, fractional, huge and special numbers round-trip exactly', () => {
  const numbers = [0, -0, -1, 1.5, -2.25, 0.1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 60, 1e300, Number.MIN_VALUE, NaN, Infinity, -Infinity];
  for (const x of numbers) {
    same(roundTrip({ ...BID, auction: x, bidder: -x, price: x, dateTime: x } as NexmarkEvent), { ...BID, auction: x, bidder: -x, price: x, dateTime: x } as NexmarkEvent);
    const a = { ...AUCTION, id: x, initialBid: x, reserve: -x, dateTime: x, expires: x, seller: x, category: x } as NexmarkEvent;
    same(roundTrip(a), a);
    const p = { ...PERSON, id: x, dateTime: -x } as NexmarkEvent;
    same(roundTrip(p), p);
  }
});

function throwsDecodeError(bytes: Buffer, what: string): void {
  assert.throws(
    () => decodeEventBinary(bytes),
    (err: unknown) => err instanceof EventDecodeError && err instanceof Error && err.code === 'NEXMARK_EVENT_DECODE',
    what,
  );
}

test('every truncation of an encoding throws EventDecodeError', () => {
  for (const e of [BID, AUCTION, PERSON, { ...PERSON, name: 'Zoë', city: '\ud800' } as NexmarkEvent]) {
    const b = encodeEventBinary(e);
    for (let n = 0; n < b.length; n++) throwsDecodeError(Buffer.from(b.subarray(0, n)), `${e.type} cut to ${n} of ${b.length} bytes`);
    same(decodeEventBinary(b), e);
  }
});

test('an unknown type byte, trailing bytes and bad string headers throw EventDecodeError', () => {
  const b = encodeEventBinary(BID);
  for (const t of [3, 4, 0x7b, 0xff]) {
    const bad = Buffer.from(b);
    bad[0] = t;
    throwsDecodeError(bad, `type byte ${t}`);
  }
  throwsDecodeError(Buffer.concat([b, Buffer.from([0])]), 'a byte after the event');
  // A bid's channel header is at byte 25: a length past the end, with and without the UTF-16 flag.
  const long = Buffer.from(b);
  long.writeUInt32LE(0x7fffffff, 25);
  throwsDecodeError(long, 'a string longer than the bytes');
  const flagged = Buffer.from(b);
  flagged.writeUInt32LE(0xffffffff, 25);
  throwsDecodeError(flagged, 'a UTF-16 string longer than the bytes');
  // The header's kinds (top two bits): 01 ASCII, 00 UTF-8, 10 UTF-16LE; 11 is none. An odd UTF-16
  // byte length; invalid UTF-8.
  const abc = encodeEventBinary({ ...BID, channel: 'abc' } as NexmarkEvent);
  assert.equal(abc.readUInt32LE(25), 0x40000003);
  const odd = Buffer.from(abc);
  odd.writeUInt32LE(0x80000003, 25);
  throwsDecodeError(odd, 'odd UTF-16 length');
  const none = Buffer.from(abc);
  none.writeUInt32LE(0xc0000003, 25);
  throwsDecodeError(none, 'header kind 11');
  const utf8 = encodeEventBinary({ ...BID, channel: 'aéc' } as NexmarkEvent);
  assert.equal(utf8.readUInt32LE(25), 4);
  for (const [at, byte] of [[30, 0xff], [30, 0x41], [31, 0xc3]] as const) {
    const invalid = Buffer.from(utf8);
    invalid[at] = byte;
    throwsDecodeError(invalid, `invalid UTF-8: byte ${at} = ${byte}`);
  }
  // An encoded U+FFFD is valid UTF-8.
  same(decodeEventBinary(encodeEventBinary({ ...BID, channel: 'a\ufffdc' } as NexmarkEvent)), { ...BID, channel: 'a\ufffdc' } as NexmarkEvent);
  assert.equal(encodeEventBinary({ ...BID, channel: '\ud800' } as NexmarkEvent).readUInt32LE(25), 0x80000002);
  // A JSON event is not a binary one.
  throwsDecodeError(Buffer.from(eventToJson(BID)), 'JSON text');
});

test('the serde keeps the JSON serde\'s copy, consistent with its round trip', () => {
  assert.equal(typeof nexmarkEventBinary.copy, 'function');
  for (const e of [BID, AUCTION, PERSON]) same(nexmarkEventBinary.copy!(e)!, roundTrip(e));
  // What copyEvent declines (-0, NaN) goes as bytes, and the bytes keep it.
  const neg = { ...BID, price: -0 } as NexmarkEvent;
  assert.equal(nexmarkEventBinary.copy!(neg), undefined);
  same(roundTrip(neg), neg);
});
