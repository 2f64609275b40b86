/**
 * What a Nexmark query is to the runner and the tests: a name, the nexmark/nexmark SQL it
 * implements, and a function that adds it to an app. Every query reads the one events topic
 * (nexmark/nexmark's layout: one JSON object per event, `{"event_type":N,"person"|"auction"|"bid":{...}}`,
 * null keys) and writes JSON values to its output topic. The values carry every output column
 * (keys are internal to the query), so a reader needs only the value.
 */
import { custom, float64, string, type Serde, type Serializer, type Stream, type StreamsApp } from '../../../src/index.js';
import { decodeEventJson, projection, type EventReads } from '../event-json.js';
import { eventToJson, type Auction, type Bid, type NexmarkEvent, type Person } from '../model.js';

/** The events topic the runner fills and every query reads. */
export const EVENTS_TOPIC = 'nexmark-events';

/** nexmark/nexmark's DDL: WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND. */
export const MAX_OUT_OF_ORDERNESS_MS = 4000;

/** The events' JSON serde, parsed by `deserialize`. */
function jsonEvents(deserialize: (bytes: Buffer) => NexmarkEvent): Serde<NexmarkEvent> {
  return custom<NexmarkEvent>({ name: 'nexmark-event', serialize: (e) => Buffer.from(eventToJson(e)), deserialize, copy: copyEvent });
}

/** The events' JSON, parsed into the model's objects (event-json.ts: eventFromJson's objects, faster). */
export const nexmarkEvent: Serde<NexmarkEvent> = jsonEvents((b) => decodeEventJson(b));

/**
 * eventFromJson(eventToJson(e)) without the text (Serde.copy: a keyBy kept in one process hands
 * the reading task this): a new object with the model's fields in eventFromJson's order. Undefined
 * (the text decides) when a field is not what eventToJson writes faithfully: a non-finite number
 * (written as NaN, which does not parse) or a missing string.
 */
export function copyEvent(e: NexmarkEvent): NexmarkEvent | undefined {
  switch (e.type) {
    case 'bid':
      if (!nums(e.auction, e.bidder, e.price, e.dateTime) || !strs(e.channel, e.url, e.extra)) return undefined;
      return { type: 'bid', auction: e.auction, bidder: e.bidder, price: e.price, channel: e.channel, url: e.url, dateTime: e.dateTime, extra: e.extra };
    case 'auction':
      if (!nums(e.id, e.initialBid, e.reserve, e.dateTime) || !nums(e.expires, e.seller, e.category, 0) || !strs(e.itemName, e.description, e.extra)) return undefined;
      return { type: 'auction', id: e.id, itemName: e.itemName, description: e.description, initialBid: e.initialBid, reserve: e.reserve, dateTime: e.dateTime, expires: e.expires, seller: e.seller, category: e.category, extra: e.extra };
    case 'person':
      if (!nums(e.id, e.dateTime, 0, 0) || !strs(e.name, e.emailAddress, e.creditCard) || !strs(e.city, e.state, e.extra)) return undefined;
      return { type: 'person', id: e.id, name: e.name, emailAddress: e.emailAddress, creditCard: e.creditCard, city: e.city, state: e.state, dateTime: e.dateTime, extra: e.extra };
    default:
      return undefined;
  }
}

// Numbers eventToJson writes as they are: finite, and not -0 (written as 0).
function nums(a: number, b: number, c: number, d: number): boolean {
  return fin(a) && fin(b) && fin(c) && fin(d);
}

function fin(x: number): boolean {
  return typeof x === 'number' && Number.isFinite(x) && !Object.is(x, -0);
}

function strs(a: string, b: string, c: string): boolean {
  return typeof a === 'string' && typeof b === 'string' && typeof c === 'string';
}

/** Numeric keys as 8-byte doubles (ids are safe integers): no JSON on the repartition path. */
export const idKey = float64;
export const textKey = string;

/**
 * Where a query's rows go: an output topic's name (each row serialized to JSON and written to the
 * log, inside the exactly-once transaction), or a blackhole: `onRow` is called per row from a
 * terminal forEach, nothing is serialized or written (what nexmark/nexmark's Flink runs do with
 * Flink's `blackhole` connector).
 */
export type NexmarkOutput = string | NexmarkBlackhole;

export interface NexmarkBlackhole {
  readonly onRow: (row: unknown) => void;
}

/** A blackhole output; `onRow` (e.g. a counter) is called per row. */
export function blackhole(onRow: (row: unknown) => void = () => {}): NexmarkBlackhole {
  return { onRow };
}

/** Ends a query: its rows to `output` (the one seam between the queries and the sink the runner chose). */
export function emit<K, V>(rows: Stream<K, V>, output: NexmarkOutput, value: Serializer<V>): void {
  if (typeof output === 'string') rows.to(output, { value });
  else rows.forEach(output.onRow);
}

export interface NexmarkQuery {
  /** 'q0' ... 'q22'. */
  readonly name: string;
  /** One line: what the query computes. */
  readonly title: string;
  /**
   * The event types and text fields the query reads (default: all): its source decodes only
   * those (event-json.ts EventReads). The query tests run every query through its projection.
   */
  readonly reads?: EventReads;
  /** Adds the query to the app: reads `events`, ends in `emit(rows, output, serde)`: JSON values to a topic, or a blackhole. */
  build(events: Stream<Buffer | null, NexmarkEvent>, output: NexmarkOutput): void;
}

/**
 * The events' serde for a reader of `reads` (all: every type and field), calling `onFirst` once,
 * when the first event is decoded: the runner starts counting there (after the app's start-up),
 * as the Flink peer does (FlinkNexmark.FirstEvent).
 */
function eventSerde(reads: EventReads | undefined, onFirst: (() => void) | undefined): Serde<NexmarkEvent> {
  if (reads === undefined && onFirst === undefined) return nexmarkEvent;
  const p = projection(reads);
  if (onFirst === undefined) return jsonEvents((b) => decodeEventJson(b, p));
  let seen = false;
  return jsonEvents((b) => {
    if (!seen) {
      seen = true;
      onFirst();
    }
    return decodeEventJson(b, p);
  });
}

export interface NexmarkEventsOptions {
  /** What the query reads (NexmarkQuery.reads): the rest is not decoded. */
  readonly reads?: EventReads;
  /** Called when the first event is decoded. */
  readonly onFirstEvent?: () => void;
}

/**
 * The events topic as a stream, 4 s out-of-orderness as nexmark's DDL. Event time is the
 * record's timestamp, which every writer of the events topic sets to the event's dateTime (the
 * runner, the peers' input, the tests), as Kafka Streams' default timestamp extractor reads it:
 * an event a query does not read is not decoded for its time either.
 */
export function nexmarkEvents(app: StreamsApp, topic = EVENTS_TOPIC, options: NexmarkEventsOptions = {}): Stream<Buffer | null, NexmarkEvent> {
  return app.stream<Buffer | null, NexmarkEvent>(topic, {
    value: eventSerde(options.reads, options.onFirstEvent),
    maxOutOfOrderness: MAX_OUT_OF_ORDERNESS_MS,
  });
}

/** Adds `query` to `app`, reading `topic` through the query's projection, its rows to `output`. */
export function buildQuery(app: StreamsApp, query: NexmarkQuery, output: NexmarkOutput, options: { topic?: string; onFirstEvent?: () => void } = {}): Stream<Buffer | null, NexmarkEvent> {
  const events = nexmarkEvents(app, options.topic, { reads: query.reads, onFirstEvent: options.onFirstEvent });
  query.build(events, output);
  return events;
}

export const isBid = (e: NexmarkEvent): e is Bid => e.type === 'bid';
export const isAuction = (e: NexmarkEvent): e is Auction => e.type === 'auction';
export const isPerson = (e: NexmarkEvent): e is Person => e.type === 'person';

/** Flink's count(*) filter ranks of q15-q17: price < 10,000; < 1,000,000; the rest. */
export function priceRank(price: number): 0 | 1 | 2 {
  return price < 10_000 ? 0 : price < 1_000_000 ? 1 : 2;
}

/** DATE_FORMAT(dateTime, 'yyyy-MM-dd') in UTC (Flink's TIMESTAMP(3) has no zone; the session zone is UTC). */
export function day(ms: number): string {
  // Bids come in time order, so most fall in the last day asked for: its text is kept (a Date and
  // an ISO string per bid were ~5 % of q15's CPU).
  if (ms >= dayFrom && ms < dayTo) return dayText;
  const text = new Date(ms).toISOString().slice(0, 10);
  dayFrom = Math.floor(ms / DAY_MS) * DAY_MS;
  dayTo = dayFrom + DAY_MS;
  dayText = text;
  return text;
}

const DAY_MS = 86_400_000;
let dayFrom = 0;
let dayTo = 0;
let dayText = '';

/** DATE_FORMAT(dateTime, 'HH:mm') in UTC. */
export function hourMinute(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16);
}
