// A slow, plain port of Beam's Nexmark model generators (Generator.nextEvent, PersonGenerator,
// AuctionGenerator, BidGenerator, StringsGenerator, PriceGenerator, LongGenerator) on the readable
// java-random.ts, written from Beam's source and not from bench/nexmark/generator.ts, so that the
// property tests can check the generator's fast paths (fused loops, LCG on limbs, byte tables)
// against code that shares none of their tricks. Only the config arithmetic (GeneratorConfig) and
// the channel URL helpers (themselves checked against Java) are shared.
import { GeneratorConfig } from '../../bench/nexmark/config.js';
import { channelUrl, hotChannelUrl } from '../../bench/nexmark/generator.js';
import { JavaRandom } from '../../bench/nexmark/java-random.js';
import type { NexmarkEvent } from '../../bench/nexmark/model.js';

const FIRST_NAMES = ['Peter', 'Paul', 'Luke', 'John', 'Saul', 'Vicky', 'Kate', 'Julie', 'Sarah', 'Deiter', 'Walter'];
const LAST_NAMES = ['Shultz', 'Abrams', 'Spencer', 'White', 'Bartels', 'Walton', 'Smith', 'Jones', 'Noris'];
const US_CITIES = ['Phoenix', 'Los Angeles', 'San Francisco', 'Boise', 'Portland', 'Bend', 'Redmond', 'Seattle', 'Kent', 'Cheyenne'];
const US_STATES = ['AZ', 'CA', 'ID', 'OR', 'WA', 'WY'];
const HOT_CHANNELS = ['Google', 'Facebook', 'Baidu', 'Apple'];

/** One person per 50 events: Beam's epoch * 1 + min(eventId % 50, 1 - 1). */
function lastBase0PersonId(eventId: number): number {
  return Math.trunc(eventId / 50);
}

function lastBase0AuctionId(eventId: number): number {
  let epoch = Math.trunc(eventId / 50);
  let offset = eventId % 50;
  if (offset < 1) {
    epoch--;
    offset = 2;
  } else if (offset >= 4) {
    offset = 2;
  } else {
    offset -= 1;
  }
  return epoch * 3 + offset;
}

/** LongGenerator.nextLong(random, n). */
function nextLong(r: JavaRandom, n: number): number {
  if (n < 2147483647) return r.nextIntBounded(n);
  const v = r.nextLong() % BigInt(n);
  return Number(v < 0n ? -v : v);
}

/** StringsGenerator.nextString(random, maxLength). */
function nextString(r: JavaRandom, maxLength: number): string {
  let len = 3 + r.nextIntBounded(maxLength - 3);
  let s = '';
  while (len-- > 0) s += r.nextIntBounded(13) === 0 ? ' ' : String.fromCharCode(97 + r.nextIntBounded(26));
  return s.trim();
}

/** StringsGenerator.nextExactString: six characters from each nextInt(), Java's signed % and /. */
function nextExactString(r: JavaRandom, length: number): string {
  let s = '';
  while (length > 0) {
    let rnd = r.nextInt();
    for (let n = Math.min(length, 6); n > 0; n--) {
      s += String.fromCharCode(97 + (rnd % 26));
      rnd = Math.trunc(rnd / 26);
      length--;
    }
  }
  return s;
}

/** StringsGenerator.nextExtra. */
function nextExtra(r: JavaRandom, currentSize: number, desiredAverageSize: number): string {
  if (currentSize > desiredAverageSize) return '';
  desiredAverageSize -= currentSize;
  const delta = Math.round(desiredAverageSize * 0.2);
  const minSize = desiredAverageSize - delta;
  const size = minSize + (delta === 0 ? 0 : r.nextIntBounded(2 * delta));
  return nextExactString(r, size);
}

/** PriceGenerator.nextPrice. */
function nextPrice(r: JavaRandom): number {
  return Math.round(Math.pow(10.0, r.nextDouble() * 6.0) * 100.0);
}

function nextBase0PersonId(r: JavaRandom, eventId: number, numActivePeople: number): number {
  const numPeople = lastBase0PersonId(eventId) + 1;
  const activePeople = Math.min(numPeople, numActivePeople);
  return numPeople - activePeople + nextLong(r, activePeople + 10);
}

function nextBase0AuctionId(r: JavaRandom, eventId: number, numInFlightAuctions: number): number {
  const maxAuction = lastBase0AuctionId(eventId);
  const minAuction = Math.max(maxAuction - numInFlightAuctions, 0);
  return minAuction + nextLong(r, maxAuction - minAuction + 1 + 10);
}

/** The event a generator on `config` yields after `eventsCountSoFar` events. */
export function referenceEvent(config: GeneratorConfig, eventsCountSoFar: number): NexmarkEvent {
  const c = config.config;
  const n = config.nextAdjustedEventNumber(eventsCountSoFar);
  const ts = config.timestampForEvent(n);
  const eventId = config.firstEventId + n;
  const r = new JavaRandom(eventId + c.seed);
  const rem = eventId % 50;
  if (rem < 1) {
    const name = `${FIRST_NAMES[r.nextIntBounded(FIRST_NAMES.length)]!} ${LAST_NAMES[r.nextIntBounded(LAST_NAMES.length)]!}`;
    const emailAddress = `${nextString(r, 7)}@${nextString(r, 5)}.com`;
    const cc: string[] = [];
    for (let i = 0; i < 4; i++) cc.push(String(r.nextIntBounded(10000)).padStart(4, '0'));
    const creditCard = cc.join(' ');
    const city = US_CITIES[r.nextIntBounded(US_CITIES.length)]!;
    const state = US_STATES[r.nextIntBounded(US_STATES.length)]!;
    const size = 8 + name.length + emailAddress.length + creditCard.length + city.length + state.length;
    const extra = nextExtra(r, size, c.avgPersonByteSize);
    return { type: 'person', id: lastBase0PersonId(eventId) + 1000, name, emailAddress, creditCard, city, state, dateTime: ts, extra };
  }
  if (rem < 4) {
    const id = lastBase0AuctionId(eventId) + 1000;
    const seller =
      (r.nextIntBounded(c.hotSellersRatio) > 0
        ? Math.trunc(lastBase0PersonId(eventId) / 100) * 100
        : nextBase0PersonId(r, eventId, c.numActivePeople)) + 1000;
    const category = 10 + r.nextIntBounded(5);
    const initialBid = nextPrice(r);
    const numEventsForAuctions = Math.trunc((c.numInFlightAuctions * 50) / 3);
    const horizonMs = config.timestampForEvent(n + numEventsForAuctions) - ts;
    const expires = ts + 1 + nextLong(r, Math.max(horizonMs * 2, 1));
    const itemName = nextString(r, 20);
    const description = nextString(r, 100);
    const reserve = initialBid + nextPrice(r);
    const extra = nextExtra(r, 8 + itemName.length + description.length + 40, c.avgAuctionByteSize);
    return { type: 'auction', id, itemName, description, initialBid, reserve, dateTime: ts, expires, seller, category, extra };
  }
  const auction =
    (r.nextIntBounded(c.hotAuctionRatio) > 0
      ? Math.trunc(lastBase0AuctionId(eventId) / 100) * 100
      : nextBase0AuctionId(r, eventId, c.numInFlightAuctions)) + 1000;
  const bidder =
    (r.nextIntBounded(c.hotBiddersRatio) > 0
      ? Math.trunc(lastBase0PersonId(eventId) / 100) * 100 + 1
      : nextBase0PersonId(r, eventId, c.numActivePeople)) + 1000;
  const price = nextPrice(r);
  const extra = nextExtra(r, 32, c.avgBidByteSize);
  let channel = '';
  let url = '';
  if (c.bidChannels) {
    if (r.nextIntBounded(2) > 0) {
      const i = r.nextIntBounded(HOT_CHANNELS.length);
      channel = HOT_CHANNELS[i]!;
      url = hotChannelUrl(i);
    } else {
      const i = r.nextIntBounded(10_000);
      channel = `channel-${i}`;
      url = channelUrl(i);
    }
  }
  return { type: 'bid', auction, bidder, price, channel, url, dateTime: ts, extra };
}
