// The generator's column batches (fillColumns, bench/nexmark/event-columns.ts) against its
// objects (nextBatch, which nexmark-generator.test.ts checks against the Java generator): every
// column of every event equal, for random configurations, seeds, positions and batch sizes, and
// the on-demand objects (event(i)) equal to the objects, strings included.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { BEAM_DEFAULT_CONFIG, type NexmarkConfig } from '../../bench/nexmark/config.js';
import { EventColumns, HOT_CHANNEL_BASE, NO_CHANNEL } from '../../bench/nexmark/event-columns.js';
import { NexmarkGenerator, channelUrl, hotChannelUrl } from '../../bench/nexmark/generator.js';
import type { NexmarkEvent } from '../../bench/nexmark/model.js';

const HOT = ['Google', 'Facebook', 'Baidu', 'Apple'];
const FIRST = 'Peter,Paul,Luke,John,Saul,Vicky,Kate,Julie,Sarah,Deiter,Walter'.split(',');
const LAST = 'Shultz,Abrams,Spencer,White,Bartels,Walton,Smith,Jones,Noris'.split(',');
const CITIES = 'Phoenix,Los Angeles,San Francisco,Boise,Portland,Bend,Redmond,Seattle,Kent,Cheyenne'.split(',');
const STATES = 'AZ,CA,ID,OR,WA,WY'.split(',');

/** Column i checked against the object; returns a message for the first difference. */
function columnDiff(cols: EventColumns, i: number, e: NexmarkEvent): string | undefined {
  const want: Record<string, unknown> = { type: e.type === 'person' ? 0 : e.type === 'auction' ? 1 : 2, dateTime: e.dateTime };
  const got: Record<string, unknown> = { type: cols.types[i], dateTime: cols.dateTimes[i] };
  switch (e.type) {
    case 'person':
      Object.assign(want, { id: e.id, name: e.name, city: e.city, state: e.state });
      Object.assign(got, { id: cols.ids[i], name: `${FIRST[Math.trunc(cols.names[i]! / 9)]} ${LAST[cols.names[i]! % 9]}`, city: CITIES[cols.cities[i]!], state: STATES[cols.states[i]!] });
      break;
    case 'auction':
      Object.assign(want, { id: e.id, seller: e.seller, category: e.category, initialBid: e.initialBid, reserve: e.reserve, expires: e.expires });
      Object.assign(got, { id: cols.ids[i], seller: cols.refs[i], category: cols.categories[i], initialBid: cols.prices[i], reserve: cols.reserves[i], expires: cols.expires[i] });
      break;
    case 'bid': {
      const ch = cols.channels[i]!;
      Object.assign(want, { auction: e.auction, bidder: e.bidder, price: e.price, channel: e.channel, url: e.url });
      Object.assign(got, {
        auction: cols.ids[i],
        bidder: cols.refs[i],
        price: cols.prices[i],
        channel: ch === NO_CHANNEL ? '' : ch >= HOT_CHANNEL_BASE ? HOT[ch - HOT_CHANNEL_BASE] : `channel-${ch}`,
        url: ch === NO_CHANNEL ? '' : ch >= HOT_CHANNEL_BASE ? hotChannelUrl(ch - HOT_CHANNEL_BASE) : channelUrl(ch),
      });
      break;
    }
  }
  for (const k of Object.keys(want)) if (want[k] !== got[k]) return `${k}: columns ${String(got[k])}, object ${String(want[k])}`;
  return undefined;
}

function check(config: Partial<NexmarkConfig>, start: number, count: number, batch: number): void {
  const objects: NexmarkEvent[] = [];
  const g = new NexmarkGenerator({ ...config, numEvents: start + count });
  g.skipTo(start);
  g.nextBatch(objects, count);
  const c = new NexmarkGenerator({ ...config, numEvents: start + count });
  c.skipTo(start);
  const cols = new EventColumns(batch);
  let at = 0;
  while (c.fillColumns(cols) > 0) {
    for (let i = 0; i < cols.count; i++, at++) {
      const diff = columnDiff(cols, i, objects[at]!);
      if (diff) assert.fail(`event ${start + at} (${objects[at]!.type}): ${diff}`);
      if (i % 97 === 0) assert.deepEqual(cols.event(i), objects[at], `event(${i})`);
    }
  }
  assert.equal(at, count);
}

test('columns equal the objects: default config, 20,000 events, and Beam defaults (no channels)', () => {
  check({}, 0, 20_000, 4096);
  check(BEAM_DEFAULT_CONFIG, 0, 5_000, 1000);
});

test('columns equal the objects for random configs, seeds, positions and batch sizes', () => {
  fc.assert(
    fc.property(
      fc.record({
        seed: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 ** 40 })),
        bidChannels: fc.boolean(),
        hotAuctionRatio: fc.constantFrom(1, 2, 7),
        hotBiddersRatio: fc.constantFrom(1, 4, 5),
        hotSellersRatio: fc.constantFrom(1, 4),
        avgPersonByteSize: fc.constantFrom(10, 200),
        avgAuctionByteSize: fc.constantFrom(20, 500, 1000),
        avgBidByteSize: fc.constantFrom(1, 100, 250),
        outOfOrderGroupSize: fc.constantFrom(1, 7, 100),
        firstEventRate: fc.constantFrom(10_000, 333_333),
        firstEventId: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 ** 45 })),
      }),
      fc.integer({ min: 0, max: 2 ** 40 }),
      fc.integer({ min: 1, max: 300 }),
      (config, start, batch) => check(config, start, 600, batch),
    ),
    { numRuns: 40 },
  );
});

test('event(i) outside the batch is refused', () => {
  const cols = new EventColumns(10);
  new NexmarkGenerator({ numEvents: 5 }).fillColumns(cols);
  assert.equal(cols.count, 5);
  assert.throws(() => cols.event(5), RangeError);
});
