/**
 * Nexmark generator configuration: the generator-related fields of Beam's NexmarkConfiguration
 * (same names, same defaults except `numEventGenerators`, see below) and the arithmetic of Beam's
 * GeneratorConfig (event numbers, out-of-order groups, timestamps from the event number and rate,
 * rate shapes, splitting).
 *
 * All "long" quantities are JS numbers: they stay far below 2^53 for any run of this benchmark.
 */

/** Beam's NexmarkUtils.BASE_TIME: 2015-07-15T00:00:00.000Z. Every event time is relative to it. */
export const BASE_TIME = Date.UTC(2015, 6, 15);

/** Ids start here so that queries find matches even on small data sets (GeneratorConfig). */
export const FIRST_AUCTION_ID = 1000;
export const FIRST_PERSON_ID = 1000;
export const FIRST_CATEGORY_ID = 10;

/** Proportions of persons/auctions/bids: the event type is eventId % 50. */
export const PERSON_PROPORTION = 1;
export const AUCTION_PROPORTION = 3;
export const BID_PROPORTION = 46;
export const PROPORTION_DENOMINATOR = PERSON_PROPORTION + AUCTION_PROPORTION + BID_PROPORTION;

export type RateShape = 'square' | 'sine';
export type RateUnit = 'second' | 'minute';

export interface NexmarkConfig {
  /** Events to generate; 0 means (practically) unbounded, as in Beam. Beam default 100,000. */
  numEvents: number;
  /**
   * Number of parallel generator timelines the overall rate is divided among: each generator's
   * inter-event delay is rateToPeriod(rate) * numEventGenerators. Beam's NexmarkConfiguration
   * defaults to 100 (it always splits its source 100 ways); a single Tributary generator is one
   * timeline, so ours defaults to 1 (event time advances at `firstEventRate` events/s), the same as
   * the nexmark/nexmark (Flink) benchmark with parallelism 1. Set 100 to reproduce Beam's
   * unsplit `standardEventIterator` exactly.
   */
  numEventGenerators: number;
  rateShape: RateShape;
  /** Initial overall event rate, in events per `rateUnit`. */
  firstEventRate: number;
  /** Next overall event rate; equal to firstEventRate means a constant rate. */
  nextEventRate: number;
  rateUnit: RateUnit;
  /** Period of the rate shape, in seconds. */
  ratePeriodSec: number;
  avgPersonByteSize: number;
  avgAuctionByteSize: number;
  avgBidByteSize: number;
  /** Bids go to a hot auction with probability 1 - 1/hotAuctionRatio. */
  hotAuctionRatio: number;
  /** Auctions are by a hot seller with probability 1 - 1/hotSellersRatio. */
  hotSellersRatio: number;
  /** Bids are by a hot bidder with probability 1 - 1/hotBiddersRatio. */
  hotBiddersRatio: number;
  /** Average number of auctions in flight at any time, per generator. */
  numInFlightAuctions: number;
  /** Maximum number of people considered active for placing auctions or bids. */
  numActivePeople: number;
  /** Events in out-of-order groups: 1 = in order; n = every n events come in pseudo-random order. */
  outOfOrderGroupSize: number;
  /** Event time of event number 0 (ms since epoch). Beam: BASE_TIME unless useWallclockEventTime. */
  baseTime: number;
  /** Event id of the first event (ids seed each event's Random and determine its type). */
  firstEventId: number;
  /** Event number of the first event (determines its timestamp). */
  firstEventNumber: number;
  /**
   * Added to each event's Random seed (Beam seeds `new Random(eventId)`): 0 reproduces Beam; any
   * other value gives different field values with the same id structure, types and timestamps.
   */
  seed: number;
  /**
   * Give bids the `channel` and `url` fields of the nexmark/nexmark (Flink) benchmark, which its
   * queries q14-q22 use. They are drawn from the event's Random *after* all of Beam's fields, so
   * every Beam field keeps its value. Default true.
   */
  bidChannels: boolean;
}

export const DEFAULT_CONFIG: Readonly<NexmarkConfig> = Object.freeze({
  numEvents: 100_000,
  numEventGenerators: 1,
  rateShape: 'sine',
  firstEventRate: 10_000,
  nextEventRate: 10_000,
  rateUnit: 'second',
  ratePeriodSec: 600,
  avgPersonByteSize: 200,
  avgAuctionByteSize: 500,
  avgBidByteSize: 100,
  hotAuctionRatio: 2,
  hotSellersRatio: 4,
  hotBiddersRatio: 4,
  numInFlightAuctions: 100,
  numActivePeople: 1000,
  outOfOrderGroupSize: 1,
  baseTime: BASE_TIME,
  firstEventId: 0,
  firstEventNumber: 0,
  seed: 0,
  bidChannels: true,
});

/** Beam's own NexmarkConfiguration.DEFAULT, as its standardEventIterator sees it (no channels). */
export const BEAM_DEFAULT_CONFIG: Readonly<NexmarkConfig> = Object.freeze({
  ...DEFAULT_CONFIG,
  numEventGenerators: 100,
  bidChannels: false,
});

/** Java's long division (truncates toward zero). */
export function ldiv(a: number, b: number): number {
  return Math.trunc(a / b);
}

/** Java's long remainder (sign of the dividend). */
export function lrem(a: number, b: number): number {
  return a % b;
}

function usPerUnit(unit: RateUnit): number {
  return unit === 'second' ? 1_000_000 : 60_000_000;
}

/** NexmarkUtils.RateUnit.rateToPeriodUs: microseconds between events at `rate`, rounded. */
export function rateToPeriodUs(unit: RateUnit, rate: number): number {
  return ldiv(usPerUnit(unit) + ldiv(rate, 2), rate);
}

/** NexmarkUtils.RateShape.interEventDelayUs(firstRate, nextRate, unit, numGenerators). */
export function interEventDelaysUs(c: NexmarkConfig): number[] {
  const { firstEventRate: first, nextEventRate: next, rateUnit: unit, numEventGenerators: gens } = c;
  if (first === next) return [rateToPeriodUs(unit, first) * gens];
  if (c.rateShape === 'square') return [rateToPeriodUs(unit, first) * gens, rateToPeriodUs(unit, next) * gens];
  const N = 10;
  const mid = (first + next) / 2.0;
  const amp = (first - next) / 2.0;
  const out: number[] = [];
  for (let i = 0; i < N; i++) {
    const r = (2.0 * Math.PI * i) / N;
    const rate = mid + amp * Math.cos(r);
    out.push(rateToPeriodUs(unit, Math.round(rate)) * gens);
  }
  return out;
}

/** NexmarkUtils.RateShape.stepLengthSec. */
export function stepLengthSec(c: NexmarkConfig): number {
  const n = c.rateShape === 'square' ? 2 : 10;
  return ldiv(c.ratePeriodSec + n - 1, n);
}

/**
 * Beam's GeneratorConfig: the config plus the derived timing tables. Immutable.
 */
export class GeneratorConfig {
  readonly config: Readonly<NexmarkConfig>;
  readonly interEventDelayUs: readonly number[];
  readonly stepLengthSec: number;
  readonly baseTime: number;
  readonly firstEventId: number;
  readonly maxEvents: number;
  readonly firstEventNumber: number;
  readonly epochPeriodMs: number;
  readonly eventsPerEpoch: number;
  /** interEventDelayUs[0] when the rate is constant, else 0. */
  readonly constantDelayUs: number;
  /** outOfOrderGroupSize === 1: event numbers are not permuted. */
  readonly outOfOrderGroupSize1: boolean;

  constructor(partial: Partial<NexmarkConfig> = {}) {
    const c: NexmarkConfig = { ...DEFAULT_CONFIG, ...partial };
    validate(c);
    this.config = Object.freeze(c);
    this.interEventDelayUs = Object.freeze(interEventDelaysUs(c));
    if (this.interEventDelayUs.length > 1 && this.interEventDelayUs.includes(0)) {
      // A varying rate divides by each step's delay (Beam throws ArithmeticException here); a
      // constant rate that rounds to 0 µs is fine: every event gets the base time.
      throw new RangeError(
        `nexmark config: a varying rate needs at least 1 µs between events, but ${c.firstEventRate} / ${c.nextEventRate} per ${c.rateUnit} over ${c.numEventGenerators} generator(s) rounds to 0`,
      );
    }
    this.stepLengthSec = stepLengthSec(c);
    this.baseTime = c.baseTime;
    this.firstEventId = c.firstEventId;
    this.firstEventNumber = c.firstEventNumber;
    if (c.numEvents === 0) {
      // Beam: Long.MAX_VALUE / (50 * max avg size); we cap at what a double counts exactly.
      this.maxEvents = Math.floor(
        Number.MAX_SAFE_INTEGER /
          (PROPORTION_DENOMINATOR * Math.max(c.avgPersonByteSize, c.avgAuctionByteSize, c.avgBidByteSize)),
      );
    } else {
      this.maxEvents = c.numEvents;
    }
    let eventsPerEpoch = 0;
    let epochPeriodMs = 0;
    if (this.interEventDelayUs.length > 1) {
      for (const d of this.interEventDelayUs) {
        const n = ldiv(this.stepLengthSec * 1_000_000, d);
        eventsPerEpoch += n;
        epochPeriodMs += ldiv(n * d, 1000);
      }
    }
    this.eventsPerEpoch = eventsPerEpoch;
    this.epochPeriodMs = epochPeriodMs;
    this.constantDelayUs = this.interEventDelayUs.length === 1 ? this.interEventDelayUs[0]! : 0;
    this.outOfOrderGroupSize1 = c.outOfOrderGroupSize === 1;
  }

  /** GeneratorConfig.copyWith(firstEventId, maxEvents, firstEventNumber). */
  copyWith(firstEventId: number, maxEvents: number, firstEventNumber: number): GeneratorConfig {
    return new GeneratorConfig({ ...this.config, firstEventId, numEvents: maxEvents, firstEventNumber });
  }

  /**
   * GeneratorConfig.split(n): n configs with distinct id ranges on parallel timelines (each starts
   * at the same event number, so at the same event time). Together they yield maxEvents events.
   */
  split(n: number): GeneratorConfig[] {
    if (n === 1) return [this];
    const out: GeneratorConfig[] = [];
    let subMax = ldiv(this.maxEvents, n);
    let subFirst = this.firstEventId;
    for (let i = 0; i < n; i++) {
      if (i === n - 1) subMax = this.maxEvents - subMax * (n - 1);
      out.push(this.copyWith(subFirst, subMax, this.firstEventNumber));
      subFirst += subMax;
    }
    return out;
  }

  /** Event number of the next event for a generator that has emitted `numEvents`. */
  nextEventNumber(numEvents: number): number {
    return this.firstEventNumber + numEvents;
  }

  /** The event number, permuted within its out-of-order group. */
  nextAdjustedEventNumber(numEvents: number): number {
    const n = this.config.outOfOrderGroupSize;
    const eventNumber = this.firstEventNumber + numEvents;
    if (n === 1) return eventNumber;
    const base = ldiv(eventNumber, n) * n;
    const offset = lrem(eventNumber * 953, n);
    return base + offset;
  }

  /** The event number whose timestamp is a watermark for the next event (start of its group). */
  nextEventNumberForWatermark(numEvents: number): number {
    const n = this.config.outOfOrderGroupSize;
    const eventNumber = this.firstEventNumber + numEvents;
    return ldiv(eventNumber, n) * n;
  }

  /** Event time (ms) of the event with this event number. */
  timestampForEvent(eventNumber: number): number {
    const d = this.constantDelayUs;
    if (d !== 0) return this.baseTime + ldiv(eventNumber * d, 1000);
    return this.timestampAndDelay(eventNumber)[0];
  }

  /** GeneratorConfig.timestampAndInterEventDelayUsForEvent. */
  timestampAndDelay(eventNumber: number): [timestamp: number, interEventDelayUs: number] {
    if (this.interEventDelayUs.length === 1) {
      const d = this.interEventDelayUs[0]!;
      return [this.baseTime + ldiv(eventNumber * d, 1000), d];
    }
    const epoch = ldiv(eventNumber, this.eventsPerEpoch);
    let n = lrem(eventNumber, this.eventsPerEpoch);
    let offsetInEpochMs = 0;
    for (const d of this.interEventDelayUs) {
      const numEventsForThisCycle = ldiv(this.stepLengthSec * 1_000_000, d);
      if (n < numEventsForThisCycle) {
        const offsetInCycleUs = n * d;
        return [this.baseTime + epoch * this.epochPeriodMs + offsetInEpochMs + ldiv(offsetInCycleUs, 1000), d];
      }
      n -= numEventsForThisCycle;
      offsetInEpochMs += ldiv(numEventsForThisCycle * d, 1000);
    }
    throw new Error('internal eventsPerEpoch incorrect');
  }

  /** First event id this config can generate. */
  get startEventId(): number {
    return this.firstEventId + this.firstEventNumber;
  }

  /** One past the last event id this config can generate. */
  get stopEventId(): number {
    return this.firstEventId + this.firstEventNumber + this.maxEvents;
  }
}

function validate(c: NexmarkConfig): void {
  const posInt = (name: keyof NexmarkConfig): void => {
    const v = c[name];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) {
      throw new RangeError(`nexmark config: ${name} must be a positive integer, got ${String(v)}`);
    }
  };
  const nonNegInt = (name: keyof NexmarkConfig): void => {
    const v = c[name];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      throw new RangeError(`nexmark config: ${name} must be a non-negative integer, got ${String(v)}`);
    }
  };
  for (const k of [
    'numEventGenerators',
    'firstEventRate',
    'nextEventRate',
    'ratePeriodSec',
    'avgPersonByteSize',
    'avgAuctionByteSize',
    'avgBidByteSize',
    'hotAuctionRatio',
    'hotSellersRatio',
    'hotBiddersRatio',
    'numInFlightAuctions',
    'numActivePeople',
    'outOfOrderGroupSize',
  ] as const) {
    posInt(k);
  }
  for (const k of ['numEvents', 'baseTime', 'firstEventId', 'firstEventNumber', 'seed'] as const) nonNegInt(k);
  if (c.rateShape !== 'square' && c.rateShape !== 'sine') throw new RangeError(`nexmark config: bad rateShape ${String(c.rateShape)}`);
  if (c.rateUnit !== 'second' && c.rateUnit !== 'minute') throw new RangeError(`nexmark config: bad rateUnit ${String(c.rateUnit)}`);
}
