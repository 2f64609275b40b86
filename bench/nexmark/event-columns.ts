/**
 * A batch of Nexmark events as columns (NexmarkGenerator.fillColumns): every number of every
 * event in typed arrays, the strings on demand. The generator draws every field as Beam does (so
 * every column holds Beam's value), but writes no string: names, cities, states and channels are
 * indexes into fixed tables, and the random strings (email, credit card, item name, description,
 * extra) are made only when asked for, by generating that one event again (each event is seeded by
 * its own id, so `event(i)` is exactly what `nextObject()` gave at that position). This is the
 * generator at its fastest, for a consumer that needs the numbers of every event and the text of
 * few (a filter on auction ids, a count per bidder): the string characters are most of the
 * generator's work.
 */
import type { NexmarkEvent } from './model.js';

/** `channel` column: no channel (the config has bid channels off). */
export const NO_CHANNEL = -1;
/** `channel` column: hot channel i is HOT_CHANNEL_BASE + i; below it, the cold channel's number. */
export const HOT_CHANNEL_BASE = 1 << 20;

export class EventColumns {
  /** Events in the batch. */
  count = 0;
  /** After a fill: a watermark for the events that follow (minimum of all their event times). */
  watermark = 0;
  /** 0 person, 1 auction, 2 bid. */
  readonly types: Uint8Array;
  /** Event time (ms since epoch). */
  readonly dateTimes: Float64Array;
  /** Person id, auction id, or the bid's auction. */
  readonly ids: Float64Array;
  /** The auction's seller, or the bid's bidder (persons: 0). */
  readonly refs: Float64Array;
  /** The auction's initial bid, or the bid's price, in cents (persons: 0). */
  readonly prices: Float64Array;
  /** Auctions: the reserve price (others: 0). */
  readonly reserves: Float64Array;
  /** Auctions: when it expires (others: 0). */
  readonly expires: Float64Array;
  /** Auctions: the category (others: 0). */
  readonly categories: Uint8Array;
  /** Persons: name index (first * 9 + last), city index, state index (others: 0). */
  readonly names: Uint8Array;
  readonly cities: Uint8Array;
  readonly states: Uint8Array;
  /** Bids: NO_CHANNEL, a cold channel's number, or HOT_CHANNEL_BASE + a hot channel's index. */
  readonly channels: Int32Array;
  /** The generator position (eventsCountSoFar) each event was made at: what `event(i)` replays. */
  readonly positions: Float64Array;
  /** Set by the fill: the event made at a position, strings and all. */
  private replay: ((position: number) => NexmarkEvent) | undefined;

  constructor(readonly maxEvents = 4096) {
    this.types = new Uint8Array(maxEvents);
    this.dateTimes = new Float64Array(maxEvents);
    this.ids = new Float64Array(maxEvents);
    this.refs = new Float64Array(maxEvents);
    this.prices = new Float64Array(maxEvents);
    this.reserves = new Float64Array(maxEvents);
    this.expires = new Float64Array(maxEvents);
    this.categories = new Uint8Array(maxEvents);
    this.names = new Uint8Array(maxEvents);
    this.cities = new Uint8Array(maxEvents);
    this.states = new Uint8Array(maxEvents);
    this.channels = new Int32Array(maxEvents);
    this.positions = new Float64Array(maxEvents);
  }

  /** Called by the generator's fill. */
  setReplay(replay: (position: number) => NexmarkEvent): void {
    this.replay = replay;
  }

  /** Event i as an object, strings included (generated again: a few microseconds). */
  event(i: number): NexmarkEvent {
    if (!(i >= 0 && i < this.count) || !this.replay) throw new RangeError(`no event ${i} in this batch of ${this.count}`);
    return this.replay(this.positions[i]!);
  }
}
