/**
 * Nexmark's three event types, as plain objects. Field names and meanings are Beam's
 * (org.apache.beam.sdk.nexmark.model), plus the bid `channel`/`url` of the nexmark/nexmark (Flink)
 * benchmark. Times are milliseconds since the epoch; prices are in cents; every id is a safe
 * integer. The `type` tag discriminates the union, so `switch (e.type)` narrows it.
 */

export interface Person {
  readonly type: 'person';
  /** Primary key. */
  id: number;
  name: string;
  emailAddress: string;
  creditCard: string;
  city: string;
  state: string;
  /** Event time (ms since epoch). */
  dateTime: number;
  /** Padding up to the configured average size. */
  extra: string;
}

export interface Auction {
  readonly type: 'auction';
  /** Primary key. */
  id: number;
  itemName: string;
  description: string;
  /** Initial bid price, in cents. */
  initialBid: number;
  /** Reserve price, in cents. */
  reserve: number;
  /** Event time (ms since epoch). */
  dateTime: number;
  /** When the auction expires (ms since epoch); bids at or after it are ignored. */
  expires: number;
  /** Foreign key: Person.id. */
  seller: number;
  /** Foreign key: category id (10..14). */
  category: number;
  extra: string;
}

export interface Bid {
  readonly type: 'bid';
  /** Foreign key: Auction.id. */
  auction: number;
  /** Foreign key: Person.id. */
  bidder: number;
  /** Price in cents. */
  price: number;
  /** Where the bid came from (nexmark/nexmark); "" when the config has bidChannels off. */
  channel: string;
  /** The bid's URL (nexmark/nexmark); "" when the config has bidChannels off. */
  url: string;
  /** Event time (ms since epoch). */
  dateTime: number;
  extra: string;
}

export type NexmarkEvent = Person | Auction | Bid;

/** Numeric event type codes, as nexmark/nexmark's `event_type` column: 0 person, 1 auction, 2 bid. */
export const EVENT_PERSON = 0;
export const EVENT_AUCTION = 1;
export const EVENT_BID = 2;
export type EventTypeCode = typeof EVENT_PERSON | typeof EVENT_AUCTION | typeof EVENT_BID;

/** The event time of any event. */
export function eventTime(e: NexmarkEvent): number {
  return e.dateTime;
}

/**
 * The JSON form of an event, one object per log record, in nexmark/nexmark's Kafka layout:
 * `{"event_type":0,"person":{...}}`, `{"event_type":1,"auction":{...}}`,
 * `{"event_type":2,"bid":{...}}`, fields in the order of the interfaces above (without `type`),
 * times as integer milliseconds since the epoch. The generator's fast path writes exactly these
 * bytes (see NexmarkGenerator.fillJson); this is the slow, obviously-correct reference.
 */
export function eventToJson(e: NexmarkEvent): string {
  switch (e.type) {
    case 'person':
      return `{"event_type":0,"person":{"id":${e.id},"name":${JSON.stringify(e.name)},"emailAddress":${JSON.stringify(e.emailAddress)},"creditCard":${JSON.stringify(e.creditCard)},"city":${JSON.stringify(e.city)},"state":${JSON.stringify(e.state)},"dateTime":${e.dateTime},"extra":${JSON.stringify(e.extra)}}}`;
    case 'auction':
      return `{"event_type":1,"auction":{"id":${e.id},"itemName":${JSON.stringify(e.itemName)},"description":${JSON.stringify(e.description)},"initialBid":${e.initialBid},"reserve":${e.reserve},"dateTime":${e.dateTime},"expires":${e.expires},"seller":${e.seller},"category":${e.category},"extra":${JSON.stringify(e.extra)}}}`;
    case 'bid':
      return `{"event_type":2,"bid":{"auction":${e.auction},"bidder":${e.bidder},"price":${e.price},"channel":${JSON.stringify(e.channel)},"url":${JSON.stringify(e.url)},"dateTime":${e.dateTime},"extra":${JSON.stringify(e.extra)}}}`;
  }
}

interface JsonEnvelope {
  event_type: number;
  person?: Omit<Person, 'type'>;
  auction?: Omit<Auction, 'type'>;
  bid?: Omit<Bid, 'type'>;
}

/** Parse the JSON form back into an event (the inverse of eventToJson). */
export function eventFromJson(text: string | Buffer): NexmarkEvent {
  const o = JSON.parse(typeof text === 'string' ? text : text.toString('utf8')) as JsonEnvelope;
  switch (o.event_type) {
    case EVENT_PERSON:
      return { type: 'person', ...o.person! };
    case EVENT_AUCTION:
      return { type: 'auction', ...o.auction! };
    case EVENT_BID:
      return { type: 'bid', ...o.bid! };
    default:
      throw new Error(`not a nexmark event: event_type ${String(o.event_type)}`);
  }
}
