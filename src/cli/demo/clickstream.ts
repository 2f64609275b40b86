import { encodeRecordBatch } from '../../records/record-batch.js';
import type { RecordInput } from '../../records/record.js';
import { partitionForKey } from '../../records/partitioner.js';

/** One click as the demo's generator writes it (JSON value, keyed by user). */
export interface Click {
  user: string;
  page: string;
  referrer: string;
  country: string;
  lat: number;
  lon: number;
  /** HTTP status the page answered with; 5xx are errors. */
  status: number;
  latencyMs: number;
  /** Event time (ms). */
  ts: number;
  /** Wall-clock time the generator wrote the event (ms), for end-to-end latency. */
  sentAt: number;
}

const PAGES = ['/', '/search', '/item/42', '/item/7', '/item/99', '/item/3', '/cart', '/checkout', '/account', '/help', '/blog/streams', '/blog/watermarks'];
const REFERRERS = ['direct', 'google', 'newsletter', 'twitter', 'partner'];
const CITIES: readonly [string, number, number][] = [
  ['DE', 52.52, 13.4],
  ['FR', 48.86, 2.35],
  ['US', 40.71, -74.0],
  ['JP', 35.68, 139.69],
  ['BR', -23.55, -46.63],
  ['IN', 28.61, 77.21],
];

/** A small deterministic PRNG (mulberry32): the demo's traffic is the same for the same seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ClickstreamOptions {
  users: number;
  /** Fraction of events that arrive late relative to their event time (0..1), up to `maxDelayMs`. */
  outOfOrderFraction: number;
  maxDelayMs: number;
  /** Fraction of events that arrive very late (5-15 s): past the windows' grace, they go to the late side output. */
  veryLateFraction: number;
  /** Base error rate; every `burstEveryMs`, starting `burstStartMs` into the run, an error burst of `burstMs` raises it to `burstErrorRate`. */
  errorRate: number;
  burstEveryMs: number;
  burstStartMs: number;
  burstMs: number;
  burstErrorRate: number;
  seed: number;
}

export const DEFAULT_CLICKSTREAM: ClickstreamOptions = {
  users: 2000,
  outOfOrderFraction: 0.1,
  maxDelayMs: 2500,
  veryLateFraction: 0.002,
  errorRate: 0.01,
  burstEveryMs: 40_000,
  burstStartMs: 2_000,
  burstMs: 8_000,
  burstErrorRate: 0.25,
  seed: 7,
};

/**
 * A realistic clickstream: users with a home country (geo position with jitter), Zipf-like page
 * popularity, referrers, slow and failing requests, error bursts, and out-of-order arrivals (an
 * event's time lags the wall clock by up to maxDelayMs).
 */
export class ClickstreamGenerator {
  private readonly random: () => number;
  private readonly start: number;
  generated = 0;

  constructor(private readonly o: ClickstreamOptions = DEFAULT_CLICKSTREAM, start = Date.now()) {
    this.random = prng(o.seed);
    this.start = start;
  }

  next(now: number): Click {
    const r = this.random;
    const u = Math.floor(r() ** 2 * this.o.users);
    const [country, lat, lon] = CITIES[u % CITIES.length]!;
    const page = PAGES[Math.min(PAGES.length - 1, Math.floor(-Math.log(1 - r()) * 2.5))]!;
    const phase = (now - this.start) % this.o.burstEveryMs;
    const inBurst = phase >= this.o.burstStartMs && phase < this.o.burstStartMs + this.o.burstMs;
    const error = r() < (inBurst ? this.o.burstErrorRate : this.o.errorRate);
    const p = r();
    const late =
      p < this.o.veryLateFraction
        ? 5_000 + Math.floor(r() * 10_000)
        : p < this.o.veryLateFraction + this.o.outOfOrderFraction
          ? Math.floor(r() * this.o.maxDelayMs)
          : 0;
    this.generated++;
    return {
      user: `user-${u}`,
      page,
      referrer: REFERRERS[Math.floor(r() * REFERRERS.length)]!,
      country,
      lat: Math.round((lat + (r() - 0.5)) * 1e4) / 1e4,
      lon: Math.round((lon + (r() - 0.5)) * 1e4) / 1e4,
      status: error ? 500 + Math.floor(r() * 4) : 200,
      latencyMs: Math.round(20 + -Math.log(1 - r()) * (error ? 400 : 60)),
      ts: now - late,
      sentAt: now,
    };
  }

  /** `count` clicks as one record batch per partition (keyed by user, Kafka's partitioner). */
  batches(count: number, partitions: number, now: number): Buffer[] {
    const per: RecordInput[][] = Array.from({ length: partitions }, () => []);
    for (let i = 0; i < count; i++) {
      const c = this.next(now);
      const key = Buffer.from(c.user);
      per[partitionForKey(key, partitions)]!.push({ key, value: Buffer.from(JSON.stringify(c)), timestamp: c.ts });
    }
    return per.map((records) => (records.length ? encodeRecordBatch({ records }) : Buffer.alloc(0)));
  }
}
