// Property tests: for random configurations, seeds, start positions and batch sizes, the
// generator's JSON batches (fillJson) and its objects (nextBatch) equal an independent slow port of
// Beam's generator (nexmark-reference.ts, on the readable java.util.Random port) serialized with
// eventToJson. The Java comparison (nexmark-generator.test.ts) covers the first 100,000 events of a
// few configurations; this covers far-away positions (ids above 2^32, long numbers) and many seeds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { GeneratorConfig, type NexmarkConfig } from '../../bench/nexmark/config.js';
import { JsonEventBatch, NexmarkGenerator } from '../../bench/nexmark/generator.js';
import { eventToJson, type NexmarkEvent } from '../../bench/nexmark/model.js';
import { referenceEvent } from './nexmark-reference.js';

const configs: fc.Arbitrary<Partial<NexmarkConfig>> = fc.record({
  seed: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 0, max: 2 ** 40 })),
  bidChannels: fc.boolean(),
  hotAuctionRatio: fc.constantFrom(1, 2, 3, 4, 7),
  hotBiddersRatio: fc.constantFrom(1, 2, 4, 5),
  hotSellersRatio: fc.constantFrom(1, 3, 4),
  avgPersonByteSize: fc.constantFrom(10, 200, 333),
  avgAuctionByteSize: fc.constantFrom(20, 500, 1000),
  avgBidByteSize: fc.constantFrom(1, 33, 100, 250),
  outOfOrderGroupSize: fc.constantFrom(1, 1, 1, 7, 100),
  firstEventRate: fc.constantFrom(10_000, 1_000, 333_333),
  firstEventId: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 ** 45 })),
});

function sameEvents(label: string, ours: string[], theirs: string[]): void {
  for (let i = 0; i < theirs.length; i++) {
    if (ours[i] !== theirs[i]) assert.fail(`${label}: event ${i}\nours ${ours[i]}\nref  ${theirs[i]}`);
  }
  assert.equal(ours.length, theirs.length, `${label}: count`);
}

test('fillJson and nextBatch equal the reference generator for random configs, seeds and positions', () => {
  fc.assert(
    fc.property(
      configs,
      fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 2 ** 36 })),
      fc.integer({ min: 1, max: 300 }),
      fc.integer({ min: 1, max: 97 }),
      (cfg, start, count, batchEvents) => {
        const config = new GeneratorConfig({ ...cfg, numEvents: start + count });
        const expected: string[] = [];
        for (let i = start; i < start + count; i++) expected.push(eventToJson(referenceEvent(config, i)));

        const g = new NexmarkGenerator(config);
        g.skipTo(start);
        const batch = new JsonEventBatch(batchEvents);
        const json: string[] = [];
        while (g.fillJson(batch) > 0) {
          for (let i = 0; i < batch.count; i++) json.push(batch.value(i).toString('latin1'));
        }
        sameEvents(`json ${JSON.stringify({ cfg, start })}`, json, expected);

        const h = new NexmarkGenerator(config);
        h.skipTo(start);
        const objects: string[] = [];
        const out: NexmarkEvent[] = [];
        while (h.nextBatch(out, batchEvents) > 0) for (const e of out) objects.push(eventToJson(e));
        sameEvents(`objects ${JSON.stringify({ cfg, start })}`, objects, expected);
      },
    ),
    { numRuns: 150 },
  );
});

test('the first 20,000 events of the default config equal the reference, byte for byte', () => {
  const config = new GeneratorConfig({ numEvents: 20_000 });
  const g = new NexmarkGenerator(config);
  const batch = new JsonEventBatch(4096);
  let i = 0;
  while (g.fillJson(batch) > 0) {
    for (let k = 0; k < batch.count; k++, i++) {
      const want = eventToJson(referenceEvent(config, i));
      const got = batch.value(k).toString('latin1');
      if (got !== want) assert.fail(`event ${i}\nours ${got}\nref  ${want}`);
    }
  }
  assert.equal(i, 20_000);
});
