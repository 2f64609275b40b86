/**
 * q20 (expand bid with auction): every bid on a category-10 auction, with the auction's columns.
 *
 *   SELECT auction, bidder, price, channel, url, B.dateTime, B.extra, itemName, description,
 *          initialBid, reserve, A.dateTime, expires, seller, category, A.extra
 *   FROM bid B JOIN auction A ON B.auction = A.id WHERE A.category = 10
 *
 * A regular join (no window), as a keyed process() per auction id: the auction once seen (only
 * its category when not 10, so bids on it are dropped at once) and the bids that came before it
 * (the generator lets bids name auctions up to 10 ids ahead). An unwindowed stream-stream join
 * operator would make it direct.
 */
import { json, type ListState, type ValueState } from '../../../src/index.js';
import type { Auction, Bid } from '../model.js';
import { eventBinary } from '../event-binary.js';
import { emit, idKey, type NexmarkQuery } from './query.js';

export interface Q20Row {
  auction: number;
  bidder: number;
  price: number;
  channel: string;
  url: string;
  bid_dateTime: number;
  bid_extra: string;
  itemName: string;
  description: string;
  initialBid: number;
  reserve: number;
  auction_dateTime: number;
  expires: number;
  seller: number;
  category: number;
  auction_extra: string;
}

export function q20Row(b: Bid, a: Auction): Q20Row {
  return {
    auction: b.auction,
    bidder: b.bidder,
    price: b.price,
    channel: b.channel,
    url: b.url,
    bid_dateTime: b.dateTime,
    bid_extra: b.extra,
    itemName: a.itemName,
    description: a.description,
    initialBid: a.initialBid,
    reserve: a.reserve,
    auction_dateTime: a.dateTime,
    expires: a.expires,
    seller: a.seller,
    category: a.category,
    auction_extra: a.extra,
  };
}

/** What the join keeps of an auction: all of it in category 10, else only that it exists. */
type Seen = Auction | { type: 'other' };

export const q20: NexmarkQuery = {
  name: 'q20',
  title: 'expand bid with auction: bid x auction join, category 10',
  reads: { auction: ['itemName', 'description', 'extra'], bid: ['channel', 'url', 'extra'] },
  build(events, output) {
    const rows = events
      .filter((e): e is Auction | Bid => e.type !== 'person')
      .keyBy((e) => (e.type === 'bid' ? e.auction : e.id), { key: idKey(), value: eventBinary(), name: 'q20-by-auction' })
      .process<number, Q20Row>(() => {
        let auction!: ValueState<Seen>;
        let waiting!: ListState<Bid>;
        return {
          init(ctx) {
            auction = ctx.state.value('auction');
            waiting = ctx.state.list('bids');
          },
          process(r, ctx) {
            const e = r.value;
            if (e.type === 'auction') {
              auction.set(e.category === 10 ? e : { type: 'other' });
              if (e.category === 10) for (const b of waiting.get()) ctx.forward(e.id, q20Row(b, e));
              waiting.clear();
            } else {
              const a = auction.get();
              if (a === undefined) waiting.add(e);
              else if (a.type === 'auction') ctx.forward(e.auction, q20Row(e, a));
            }
          },
        };
      }, { name: 'q20-join' });
    emit(rows, output, json<Q20Row>());
  },
};
