// Tributary's Nexmark generator (bench/nexmark) against the Java port of Apache Beam's generator
// (bench/peers/nexmark-java, on the real java.util.Random): the first 100,000 events must agree
// field by field, through both outputs (objects and the JSON fast path), under Tributary's default
// config, Beam's own default config, and variants (out-of-order groups, a square rate shape, a
// split generator, another seed, small sizes). Skipped, with the reason, when java/javac are missing.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ensureNexmarkJava, runNexmarkJava, type JavaAvailability } from '../../bench/peers/nexmark-java/java.js';
import { BEAM_DEFAULT_CONFIG, DEFAULT_CONFIG, GeneratorConfig, type NexmarkConfig } from '../../bench/nexmark/config.js';
import { JsonEventBatch, NexmarkGenerator } from '../../bench/nexmark/generator.js';
import { eventFromJson, eventToJson, type NexmarkEvent } from '../../bench/nexmark/model.js';

let avail: JavaAvailability;
try {
  avail = ensureNexmarkJava();
} catch (e) {
  avail = { ok: false, why: `the Java port did not compile: ${(e as Error).message}` };
}
const skip = avail.ok ? false : `Java generator unavailable: ${avail.why}`;

function javaArgs(c: Partial<NexmarkConfig>, extra: string[] = []): string[] {
  const full = { ...DEFAULT_CONFIG, ...c };
  return [...Object.entries(full).map(([k, v]) => `${k}=${String(v)}`), ...extra];
}

function splitLines(out: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let s = 0;
  for (let i = out.indexOf(10, s); i >= 0; i = out.indexOf(10, s)) {
    lines.push(out.subarray(s, i));
    s = i + 1;
  }
  assert.equal(s, out.length, 'java output ends with a newline');
  return lines;
}

/** Field-by-field comparison; the message names the first event and field that differ. */
function compareEvents(ours: NexmarkEvent[], theirs: NexmarkEvent[], label: string): void {
  assert.equal(ours.length, theirs.length, `${label}: event count`);
  for (let i = 0; i < ours.length; i++) {
    const a = ours[i]! as unknown as Record<string, unknown>;
    const b = theirs[i]! as unknown as Record<string, unknown>;
    assert.equal(a.type, b.type, `${label}: event ${i} type`);
    const keys = Object.keys(b);
    assert.deepEqual(Object.keys(a).sort(), [...keys].sort(), `${label}: event ${i} fields`);
    for (const k of keys) {
      if (a[k] !== b[k]) {
        assert.fail(`${label}: event ${i} (${String(b.type)}) field ${k}: ours ${JSON.stringify(a[k])}, java ${JSON.stringify(b[k])}`);
      }
    }
  }
}

/** Our JSON fast path, concatenated as newline-separated lines (Java's output format). */
function oursAsJsonLines(config: GeneratorConfig, batchEvents = 1000): Buffer {
  const g = new NexmarkGenerator(config);
  const batch = new JsonEventBatch(batchEvents);
  const parts: Buffer[] = [];
  const nl = Buffer.from('\n');
  while (g.fillJson(batch) > 0) {
    for (let i = 0; i < batch.count; i++) parts.push(Buffer.from(batch.value(i)), nl);
  }
  return Buffer.concat(parts);
}

function oursAsObjects(config: GeneratorConfig): NexmarkEvent[] {
  const g = new NexmarkGenerator(config);
  const out: NexmarkEvent[] = [];
  for (const e of g) out.push(e);
  return out;
}

async function checkAgainstJava(label: string, cfg: Partial<NexmarkConfig>, split?: [number, number]): Promise<void> {
  if (!avail.ok) return;
  const extra = split ? [`split=${split[0]}:${split[1]}`] : [];
  const javaOut = await runNexmarkJava(avail, javaArgs(cfg, extra));
  const base = new GeneratorConfig(cfg);
  const config = split ? base.split(split[0])[split[1]]! : base;
  const lines = splitLines(javaOut);
  assert.equal(lines.length, config.maxEvents, `${label}: java printed ${lines.length} events`);
  const theirs = lines.map((l) => eventFromJson(l));
  compareEvents(oursAsObjects(config), theirs, `${label} (objects)`);
  // The fast path must produce Java's bytes exactly (same field order, digits and escapes).
  const ours = oursAsJsonLines(config);
  if (!ours.equals(javaOut)) {
    const ourLines = splitLines(ours);
    const i = ourLines.findIndex((l, k) => !l.equals(lines[k]!));
    assert.fail(`${label} (json): line ${i} differs:\n ours ${String(ourLines[i])}\n java ${String(lines[i])}`);
  }
}

describe('nexmark generator vs the Java generator', { skip }, () => {
  test('Tributary defaults (10,000 events/s, bid channels): first 100,000 events', { timeout: 240_000 }, async () => {
    await checkAgainstJava('defaults', { numEvents: 100_000 });
  });

  test("Beam's NexmarkConfiguration defaults (100 generators' rate, no channels): first 100,000 events", { timeout: 240_000 }, async () => {
    await checkAgainstJava('beam defaults', { ...BEAM_DEFAULT_CONFIG, numEvents: 100_000 });
  });

  test('out-of-order groups, a square rate shape, a split generator, another seed, small sizes', { timeout: 240_000 }, async () => {
    await Promise.all([
      checkAgainstJava('out of order', { numEvents: 20_000, outOfOrderGroupSize: 1000 }),
      checkAgainstJava('square rate', {
        numEvents: 20_000,
        rateShape: 'square',
        firstEventRate: 10_000,
        nextEventRate: 1_000,
        ratePeriodSec: 2,
      }),
      checkAgainstJava('sine rate per minute', {
        numEvents: 20_000,
        rateShape: 'sine',
        firstEventRate: 600_000,
        nextEventRate: 60_000,
        rateUnit: 'minute',
        ratePeriodSec: 10,
      }),
      checkAgainstJava('split 4, part 2', { numEvents: 40_000, numEventGenerators: 4 }, [4, 2]),
      checkAgainstJava('seed and ids', { numEvents: 20_000, seed: 7, firstEventId: 3, firstEventNumber: 1234 }),
      checkAgainstJava('small sizes, few people', {
        numEvents: 20_000,
        avgPersonByteSize: 30,
        avgAuctionByteSize: 40,
        avgBidByteSize: 20,
        numActivePeople: 20,
        numInFlightAuctions: 5,
        hotAuctionRatio: 1,
        hotSellersRatio: 1,
        hotBiddersRatio: 1,
      }),
    ]);
  });

  test('event times and watermarks equal Java with out-of-order groups', { timeout: 240_000 }, async () => {
    if (!avail.ok) return;
    const cfg = { numEvents: 20_000, outOfOrderGroupSize: 500, firstEventRate: 1000, nextEventRate: 1000 };
    const out = splitLines(await runNexmarkJava(avail, javaArgs(cfg, ['timestamps=true'])));
    const g = new NexmarkGenerator(cfg);
    let outOfOrder = 0;
    let last = -Infinity;
    for (let i = 0; i < out.length; i++) {
      const [ts, wm] = String(out[i]).split(' ', 2).map(Number);
      const e = g.nextEvent();
      assert.equal(e.eventTimestamp, ts, `event ${i} time`);
      assert.equal(e.watermark, wm, `event ${i} watermark`);
      assert.ok(e.watermark <= e.eventTimestamp);
      if (e.eventTimestamp < last) outOfOrder++;
      last = Math.max(last, e.eventTimestamp);
    }
    assert.ok(outOfOrder > 1000, `events really come out of order (${outOfOrder})`);
  });
});

describe('nexmark generator (no Java needed)', () => {
  test('the JSON fast path equals eventToJson of the objects, for any batch size', () => {
    const cfg = new GeneratorConfig({ numEvents: 5_000 });
    const objs = oursAsObjects(cfg);
    const expected = Buffer.from(objs.map((e) => `${eventToJson(e)}\n`).join(''), 'latin1');
    for (const n of [1, 7, 1000, 8192]) assert.ok(oursAsJsonLines(cfg, n).equals(expected), `batch of ${n}`);
    for (const e of objs.slice(0, 500)) assert.deepEqual(eventFromJson(eventToJson(e)), e);
  });

  test('proportions 1:3:46 by event id, ids and event time from the event number', () => {
    const g = new NexmarkGenerator({ numEvents: 50_000 });
    const counts = { person: 0, auction: 0, bid: 0 };
    let i = 0;
    let lastPerson = 999;
    let lastAuction = 999;
    for (const e of g) {
      counts[e.type]++;
      const kind = i % 50 === 0 ? 'person' : i % 50 < 4 ? 'auction' : 'bid';
      assert.equal(e.type, kind);
      // 10,000 events/s: event i happens at BASE_TIME + i / 10 ms.
      assert.equal(e.dateTime, DEFAULT_CONFIG.baseTime + Math.floor(i / 10));
      if (e.type === 'person') assert.equal(e.id, ++lastPerson);
      if (e.type === 'auction') {
        assert.equal(e.id, ++lastAuction);
        assert.ok(e.expires > e.dateTime);
        assert.ok(e.reserve >= e.initialBid);
        assert.ok(e.category >= 10 && e.category < 15);
        assert.ok(e.seller >= 1000 && e.seller <= lastPerson + 10);
      }
      if (e.type === 'bid') {
        assert.ok(e.auction >= 1000 && e.auction <= lastAuction + 10);
        assert.ok(e.bidder >= 1000 && e.bidder <= lastPerson + 10);
        assert.ok(e.channel.length > 0 && e.url.startsWith('https://www.nexmark.com/'));
      }
      i++;
    }
    assert.deepEqual(counts, { person: 1000, auction: 3000, bid: 46000 });
  });

  test('deterministic, and any position can be generated on its own (skipTo)', () => {
    const a = oursAsObjects(new GeneratorConfig({ numEvents: 3000 }));
    const b = oursAsObjects(new GeneratorConfig({ numEvents: 3000 }));
    assert.deepEqual(a, b);
    const g = new NexmarkGenerator({ numEvents: 3000 });
    g.skipTo(2500);
    for (let i = 2500; i < 3000; i++) assert.deepEqual(g.nextObject(), a[i]);
    assert.equal(g.hasNext(), false);
    assert.throws(() => g.nextObject(), /exhausted/);
    const other = oursAsObjects(new GeneratorConfig({ numEvents: 3000, seed: 1 }));
    assert.notDeepEqual(other, a);
    assert.deepEqual(
      other.map((e) => [e.type, e.dateTime]),
      a.map((e) => [e.type, e.dateTime]),
    );
  });

  test('hot auctions, sellers and bidders follow the 2 / 4 / 4 ratios', () => {
    const g = new NexmarkGenerator({ numEvents: 200_000 });
    let bids = 0;
    let hotAuctionBids = 0;
    let hotBidderBids = 0;
    let auctions = 0;
    let hotSellerAuctions = 0;
    for (const e of g) {
      if (e.type === 'bid') {
        bids++;
        if ((e.auction - 1000) % 100 === 0) hotAuctionBids++;
        if ((e.bidder - 1000) % 100 === 1) hotBidderBids++;
      } else if (e.type === 'auction') {
        auctions++;
        if ((e.seller - 1000) % 100 === 0) hotSellerAuctions++;
      }
    }
    // P(hot) = 1 - 1/ratio (plus the rare random pick that lands on a hot id).
    assert.ok(Math.abs(hotAuctionBids / bids - 0.5) < 0.02, `hot auctions ${hotAuctionBids / bids}`);
    assert.ok(Math.abs(hotBidderBids / bids - 0.75) < 0.02, `hot bidders ${hotBidderBids / bids}`);
    assert.ok(Math.abs(hotSellerAuctions / auctions - 0.75) < 0.03, `hot sellers ${hotSellerAuctions / auctions}`);
  });

  test('a JsonEventBatch too small for one event is refused; batch watermark is the next event time', () => {
    const g = new NexmarkGenerator({ numEvents: 100 });
    assert.throws(() => g.fillJson(new JsonEventBatch(10, 100)), /too small/);
    const batch = new JsonEventBatch(30);
    assert.equal(g.fillJson(batch), 30);
    assert.equal(batch.watermark, DEFAULT_CONFIG.baseTime + 3);
    assert.equal(batch.timestamps[29], DEFAULT_CONFIG.baseTime + 2);
    assert.deepEqual([...batch.types.subarray(0, 5)], [0, 1, 1, 1, 2]);
    assert.equal(g.fillJson(batch), 30);
    assert.equal(g.fillJson(batch), 30);
    assert.equal(g.fillJson(batch), 10);
    assert.equal(g.fillJson(batch), 0);
  });

  test('config validation', () => {
    assert.throws(() => new GeneratorConfig({ firstEventRate: 0 }), /firstEventRate/);
    assert.throws(() => new GeneratorConfig({ outOfOrderGroupSize: 1.5 }), /outOfOrderGroupSize/);
    assert.throws(() => new GeneratorConfig({ rateShape: 'triangle' as never }), /rateShape/);
    // 3,333,333/s rounds to 0 µs between events: fine at a constant rate (all at the base time),
    // refused when the rate varies (its steps divide by the delay).
    assert.throws(() => new GeneratorConfig({ firstEventRate: 3_333_333, nextEventRate: 10_000 }), /at least 1 µs/);
    const flat = new GeneratorConfig({ firstEventRate: 3_333_333, nextEventRate: 3_333_333 });
    assert.equal(flat.timestampForEvent(12345), DEFAULT_CONFIG.baseTime);
    const parts = new GeneratorConfig({ numEvents: 1003 }).split(4);
    assert.deepEqual(
      parts.map((p) => [p.firstEventId, p.maxEvents]),
      [
        [0, 250],
        [250, 250],
        [500, 250],
        [750, 253],
      ],
    );
  });
});
