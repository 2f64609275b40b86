// Shared by the query tests: a fixed event range and a query run through the TopologyTestDriver
// (the same tasks the runtime runs, in the test's call stack), drained at the end of input as a
// bounded run is.
import { StreamsApp, TopologyTestDriver, json } from '../../../src/index.js';
import { generateEvents } from '../../../bench/nexmark/generator.js';
import { type Auction, type Bid, type NexmarkEvent, type Person } from '../../../bench/nexmark/model.js';
import { EVENTS_TOPIC, buildQuery, type NexmarkQuery } from '../../../bench/nexmark/queries/query.js';

/**
 * 40,000 events at 1,000 events/s of event time: 40 s, so the 10 s windows of q5, q7, q8, q11 and
 * q12 close several times, and ~37K bids, ~2.4K auctions and 800 people.
 */
export const EVENT_COUNT = 40_000;
let cached: NexmarkEvent[] | undefined;
export function testEvents(): NexmarkEvent[] {
  cached ??= generateEvents(EVENT_COUNT, { firstEventRate: 1000, nextEventRate: 1000 });
  return cached;
}
export const bids = (): Bid[] => testEvents().filter((e): e is Bid => e.type === 'bid');
export const auctions = (): Auction[] => testEvents().filter((e): e is Auction => e.type === 'auction');
export const persons = (): Person[] => testEvents().filter((e): e is Person => e.type === 'person');

export interface RunOptions {
  /** Wall clock (ms) at which event i is piped in; default: it stays at 0. */
  readonly wallClockAt?: (i: number) => number;
  /** Wall clock (ms) to move to after the last event, before draining (fires processing-time timers). */
  readonly finalWallClock?: number;
  /** Task partitions of the events topic (default 1). */
  readonly partitions?: number;
}

/** Runs the query over the events and returns every value it wrote, in order. */
export function runQuery<R>(query: NexmarkQuery, events: readonly NexmarkEvent[] = testEvents(), options: RunOptions = {}): R[] {
  const app = new StreamsApp({ applicationId: `test-${query.name}` });
  const source = buildQuery(app, query, 'out');
  const driver = new TopologyTestDriver(app, { partitions: { [EVENTS_TOPIC]: options.partitions ?? 1 } });
  try {
    const input = driver.input(source);
    const out = driver.output<unknown, R>('out', { value: json<R>() });
    const values: R[] = [];
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      if (options.wallClockAt) {
        const now = options.wallClockAt(i);
        if (now > driver.wallClock) driver.advanceWallClock(now - driver.wallClock);
      }
      input.pipe({ key: null, value: e, timestamp: e.dateTime });
      // Read as we go: the driver keeps topics whole, a long run would hold them twice.
      if (i % 5000 === 4999) for (const v of out.readValues()) values.push(v!);
    }
    if (options.finalWallClock !== undefined && options.finalWallClock > driver.wallClock) driver.advanceWallClock(options.finalWallClock - driver.wallClock);
    driver.drain();
    for (const v of out.readValues()) values.push(v!);
    return values;
  } finally {
    driver.close();
  }
}

/** Sorts rows by their JSON (for comparing result sets where the order is not part of the query). */
export function sorted<T>(rows: readonly T[]): T[] {
  return rows.map((r) => [JSON.stringify(r), r] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((x) => x[1]);
}

/** The last value per key: the final state of an update stream (Flink's retract/upsert output). */
export function lastPerKey<T>(rows: readonly T[], key: (r: T) => string): Map<string, T> {
  const m = new Map<string, T>();
  for (const r of rows) m.set(key(r), r);
  return m;
}
