// The fast event decoder (bench/nexmark/event-json.ts) must give exactly what JSON.parse gives
// (model.ts eventFromJson): same fields, same order, same values, on the generator's output and
// on any text off its layout (which it hands to JSON.parse), and invalid JSON must still throw.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BEAM_DEFAULT_CONFIG, type NexmarkConfig } from '../../../bench/nexmark/config.js';
import { decodeEventJson, projection, type EventReads } from '../../../bench/nexmark/event-json.js';
import { JsonEventBatch, NexmarkGenerator } from '../../../bench/nexmark/generator.js';
import { eventFromJson, eventToJson, type NexmarkEvent } from '../../../bench/nexmark/model.js';

function sameAsJsonParse(bytes: Buffer): void {
  const ours = decodeEventJson(bytes) as unknown as Record<string, unknown>;
  const ref = eventFromJson(bytes) as unknown as Record<string, unknown>;
  assert.deepEqual(Object.keys(ours), Object.keys(ref), `field order of ${String(bytes)}`);
  for (const k of Object.keys(ref)) assert.ok(Object.is(ours[k], ref[k]), `${k} of ${String(bytes)}: ${String(ours[k])} vs ${String(ref[k])}`);
}

function checkGenerated(config: Partial<NexmarkConfig>, events: number): number {
  const g = new NexmarkGenerator({ ...config, numEvents: events });
  const batch = new JsonEventBatch(1000);
  let escaped = 0;
  while (g.fillJson(batch) > 0) {
    for (let i = 0; i < batch.count; i++) {
      const v = batch.value(i);
      if (v.includes(92)) escaped++;
      sameAsJsonParse(v);
    }
  }
  return escaped;
}

test('equals JSON.parse on 30,000 generated events (with channels), escapes included', () => {
  const escaped = checkGenerated({}, 30_000);
  assert.ok(escaped > 1000, `the generated extras hold backslashes (${escaped} events)`);
});

test("equals JSON.parse on Beam's default config (no channels: empty strings)", () => {
  checkGenerated(BEAM_DEFAULT_CONFIG, 5_000);
});

test('text off the fast layout gives what JSON.parse gives', () => {
  const texts = [
    // whitespace, another field order, extra fields
    '{ "event_type": 2, "bid": {"auction": 1, "bidder": 2, "price": 3, "channel": "c", "url": "u", "dateTime": 4, "extra": "x"} }',
    '{"event_type":2,"bid":{"bidder":2,"auction":1,"price":3,"channel":"c","url":"u","dateTime":4,"extra":"x"}}',
    '{"event_type":2,"bid":{"auction":1,"bidder":2,"price":3,"channel":"c","url":"u","dateTime":4,"extra":"x","more":1}}',
    '{"event_type":2,"bid":{"auction":1,"bidder":2,"price":3,"channel":"c","url":"u","dateTime":4,"extra":"x"},"person":null}',
    // numbers on the layout: negative, -0; escapes on it: every two-character one, and \u
    '{"event_type":2,"bid":{"auction":-1,"bidder":-0,"price":0,"channel":"c","url":"u","dateTime":-4,"extra":"x"}}',
    '{"event_type":2,"bid":{"auction":1,"bidder":2,"price":3,"channel":"\\"\\\\\\/\\b\\f\\n\\r\\t","url":"a\\\\","dateTime":4,"extra":"\\\\x\\u0041\\\\"}}',
    // numbers off it: fractions, exponents, beyond 15 digits
    '{"event_type":2,"bid":{"auction":-1,"bidder":-0,"price":3.5,"channel":"c","url":"u","dateTime":4e3,"extra":"x"}}',
    '{"event_type":2,"bid":{"auction":12345678901234567890,"bidder":9007199254740993,"price":0,"channel":"","url":"","dateTime":1436918400000,"extra":""}}',
    // escapes and non-ASCII
    '{"event_type":2,"bid":{"auction":1,"bidder":2,"price":3,"channel":"a\\"b","url":"\\u00e9\\n","dateTime":4,"extra":"x\\\\y"}}',
    '{"event_type":0,"person":{"id":1,"name":"Zoë Ünal","emailAddress":"e","creditCard":"c","city":"Köln","state":"NRW","dateTime":4,"extra":"€"}}',
    '{"event_type":1,"auction":{"id":1,"itemName":"i","description":"d","initialBid":1,"reserve":2,"dateTime":3,"expires":4,"seller":5,"category":10,"extra":"\\\\"}}',
    // another event_type, an unknown one
    '{"event_type":1,"auction":{"id":1,"itemName":"i","description":"d","initialBid":1,"reserve":2,"dateTime":3,"expires":4,"seller":5,"category":10,"extra":"e"}}\n',
  ];
  for (const t of texts) sameAsJsonParse(Buffer.from(t));
  assert.throws(() => decodeEventJson(Buffer.from('{"event_type":7}')), /not a nexmark event/);
});

test('invalid JSON throws as JSON.parse does', () => {
  const bad = [
    '{"event_type":2,"bid":{"auction":01,"bidder":2,"price":3,"channel":"c","url":"u","dateTime":4,"extra":"x"}}',
    '{"event_type":2,"bid":{"auction":1,"bidder":2,"price":3,"channel":"c\u0001","url":"u","dateTime":4,"extra":"x"}}',
    '{"event_type":2,"bid":{"auction":1,"bidder":2,"price":3,"channel":"c","url":"u","dateTime":4,"extra":"\\x"}}',
    '{"event_type":2,"bid":{"auction":1,"bidder":2,"price":3,"channel":"c","url":"u","dateTime":4,"extra":"x"}',
    '{"event_type":2,"bid":{"auction":1,"bidder":2,"price":3,"channel":"c","url":"u","dateTime":4,"extra":"x}}',
  ];
  for (const t of bad) {
    assert.throws(() => eventFromJson(Buffer.from(t)), SyntaxError, `JSON.parse rejects ${t}`);
    assert.throws(() => decodeEventJson(Buffer.from(t)), SyntaxError, t);
  }
});

/** What a projected decode must give: the event with the text fields not read as '', or the type's placeholder. */
function projected(e: NexmarkEvent, reads: EventReads): Record<string, unknown> {
  const read = reads[e.type] as readonly string[] | undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) {
    if (k === 'type') out[k] = v;
    else if (read === undefined) out[k] = typeof v === 'string' ? '' : 0;
    else out[k] = typeof v === 'string' && !read.includes(k) ? '' : v;
  }
  return out;
}

test('a projection decodes the types and text fields it names, steps over the rest (escapes included), and keeps the shape', () => {
  const cases: EventReads[] = [{ bid: ['extra'] }, { bid: [] }, { person: ['name', 'city', 'state'], auction: [] }, { auction: ['itemName', 'description', 'extra'], bid: ['channel', 'url', 'extra'] }, {}];
  const g = new NexmarkGenerator({ numEvents: 20_000 });
  const batch = new JsonEventBatch(1000);
  let escapedSkipped = 0;
  while (g.fillJson(batch) > 0) {
    for (let i = 0; i < batch.count; i++) {
      const v = batch.value(i);
      const full = eventFromJson(v);
      for (const reads of cases) {
        const got = decodeEventJson(v, projection(reads)) as unknown as Record<string, unknown>;
        const want = projected(full, reads);
        assert.deepEqual(Object.keys(got), Object.keys(want));
        assert.deepEqual(got, want, `${JSON.stringify(reads)} of ${String(v)}`);
      }
      if (full.type === 'bid' && full.extra.includes('\\')) escapedSkipped++;
    }
  }
  assert.ok(escapedSkipped > 100, `skipped extras with backslashes: ${escapedSkipped}`);
});

test('a projection steps over escaped quotes and backslashes in a string it does not read', () => {
  const bid: NexmarkEvent = { type: 'bid', auction: 7, bidder: 8, price: 9, channel: 'a\\"b\\\\', url: '\\\\"\\', dateTime: 10, extra: 'x"y' };
  const text = Buffer.from(eventToJson(bid));
  assert.deepEqual(decodeEventJson(text, projection({ bid: ['extra'] })), { ...bid, channel: '', url: '' });
  assert.deepEqual(decodeEventJson(text, projection({ bid: ['url'] })), { ...bid, channel: '', extra: '' });
});

test('text off the fast layout gives the whole event under a projection; an unread type gives its frozen placeholder', () => {
  const spaced = Buffer.from('{"event_type": 2, "bid": {"auction": 1, "bidder": 2, "price": 3, "channel": "c", "url": "u", "dateTime": 4, "extra": "e"}}');
  assert.deepEqual(decodeEventJson(spaced, projection({ bid: [] })), eventFromJson(spaced));
  const unread = decodeEventJson(Buffer.from(eventToJson({ type: 'person', id: 1, name: 'n', emailAddress: 'e', creditCard: 'c', city: 'x', state: 'OR', dateTime: 5, extra: '' })), projection({ bid: [] }));
  assert.equal(unread.type, 'person');
  assert.equal(unread.dateTime, 0);
  assert.ok(Object.isFrozen(unread));
});

/** decodeEventJson and eventFromJson agree on `bytes`: the same event, or the same error class. */
function sameOutcome(bytes: Buffer): void {
  let ref: unknown;
  try {
    ref = eventFromJson(bytes);
  } catch (e) {
    assert.throws(() => decodeEventJson(bytes), (e as Error).constructor as new () => Error, String(bytes));
    return;
  }
  const ours = decodeEventJson(bytes);
  assert.deepEqual(ours, ref, String(bytes));
}

test('any one byte of an event changed: the same event or the same error as JSON.parse, wherever the event sits in its memory', () => {
  const g = new NexmarkGenerator({ numEvents: 3 });
  const batch = new JsonEventBatch(10);
  g.fillJson(batch);
  // One person, one auction, one bid; each copied to several offsets of one shared buffer (the
  // layout's literals are compared four bytes at a time through a view on that memory).
  for (let i = 0; i < batch.count; i++) {
    const text = Buffer.from(batch.value(i));
    const shared = Buffer.alloc(text.length * 2 + 8);
    for (let at = 0; at < 4; at++) {
      for (let p = 0; p < text.length; p++) {
        for (const c of [0x58, 0x22, 0x7d]) {
          if (text[p] === c) continue;
          shared.fill(0);
          text.copy(shared, at);
          shared[at + p] = c;
          sameOutcome(shared.subarray(at, at + text.length));
          // And the same bytes in a memory of their own, right after.
          const own = Buffer.from(shared.subarray(at, at + text.length));
          sameOutcome(own);
        }
      }
    }
  }
});
