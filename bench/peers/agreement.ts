/**
 * Tributary's result rows for a query over the first N events, as column arrays in the order of
 * nexmark/nexmark's sink table, to compare with a peer's rows before any ratio is printed. The
 * query code is the benchmark's own (bench/nexmark/queries), run by the TopologyTestDriver.
 */
import { StreamsApp, TopologyTestDriver, json } from '../../src/index.js';
import { generateEvents } from '../nexmark/generator.js';
import { EVENTS_TOPIC, buildQuery, queryNamed } from '../nexmark/queries/index.js';

const STATS = ['total_bids', 'rank1_bids', 'rank2_bids', 'rank3_bids', 'total_bidders', 'rank1_bidders', 'rank2_bidders', 'rank3_bidders', 'total_auctions', 'rank1_auctions', 'rank2_auctions', 'rank3_auctions'];

/** Column order of each query's sink table. */
const COLUMNS: Record<string, string[]> = {
  q0: ['auction', 'bidder', 'price', 'dateTime', 'extra'],
  q1: ['auction', 'bidder', 'price', 'dateTime', 'extra'],
  q2: ['auction', 'price'],
  q3: ['name', 'city', 'state', 'id'],
  q4: ['id', 'final'],
  q5: ['auction', 'num'],
  q6: ['seller', 'avg_price'],
  // the SQL selects B.price before B.bidder; our rows name each value by what it holds
  q7: ['auction', 'price', 'bidder', 'dateTime', 'extra'],
  q8: ['id', 'name', 'stime'],
  q11: ['bidder', 'bid_count', 'starttime', 'endtime'],
  q12: ['bidder', 'bid_count', 'starttime', 'endtime'],
  q14: ['auction', 'bidder', 'price', 'bidTimeType', 'dateTime', 'extra', 'c_counts'],
  q15: ['day', ...STATS],
  q16: ['channel', 'day', 'minute', ...STATS],
  q17: ['auction', 'day', 'total_bids', 'rank1_bids', 'rank2_bids', 'rank3_bids', 'min_price', 'max_price', 'avg_price', 'sum_price'],
  q18: ['auction', 'bidder', 'price', 'channel', 'url', 'dateTime', 'extra'],
  q19: ['auction', 'bidder', 'price', 'channel', 'url', 'dateTime', 'extra', 'rank_number'],
  q20: ['auction', 'bidder', 'price', 'channel', 'url', 'bid_dateTime', 'bid_extra', 'itemName', 'description', 'initialBid', 'reserve', 'auction_dateTime', 'expires', 'seller', 'category', 'auction_extra'],
  q22: ['auction', 'bidder', 'price', 'channel', 'dir1', 'dir2', 'dir3'],
};

/**
 * Updating queries (a retract stream in Flink): the key of a row in the result table. Our output
 * is the table's updates, so the last row per key is the final table, what a peer's applied
 * changelog holds. q19 emits each auction's whole ranking: the last one's entries are its rows.
 */
const FINAL_KEY: Record<string, (r: Record<string, unknown>) => unknown> = {
  q4: (r) => r.id,
  q15: (r) => r.day,
  q16: (r) => `${String(r.channel)}|${String(r.day)}`,
  q17: (r) => `${String(r.auction)}|${String(r.day)}`,
  q18: (r) => `${String(r.bidder)}|${String(r.auction)}`,
  q19: (r) => r.auction,
};

export function tributaryRows(query: string, events: number): unknown[][] {
  const q = queryNamed(query);
  const cols = COLUMNS[query];
  if (!q || !cols) throw new Error(`no agreement check for ${query}`);
  const app = new StreamsApp({ applicationId: `agree-${query}` });
  const source = buildQuery(app, q, 'out');
  const driver = new TopologyTestDriver(app, { partitions: { [EVENTS_TOPIC]: 1 } });
  const input = driver.input(source);
  for (const e of generateEvents(events)) input.pipe({ key: null, value: e, timestamp: e.dateTime });
  driver.drain();
  const rows = driver.output<unknown, Record<string, unknown>>('out', { value: json() }).readValues();
  driver.close();
  const finalKey = FINAL_KEY[query];
  const table = finalKey ? [...new Map(rows.map((r) => [finalKey(r!), r!])).values()] : rows.map((r) => r!);
  const flat = query === 'q19' ? table.flatMap((r) => r.ranking as Array<Record<string, unknown>>) : table;
  return flat.map((r) => cols.map((c) => r[c]));
}

/** Whether two row lists hold the same rows (as multisets: a peer may reorder). */
export function sameRows(a: readonly unknown[][], b: readonly unknown[][]): { equal: boolean; detail: string } {
  if (a.length !== b.length) return { equal: false, detail: `${a.length} rows vs ${b.length}` };
  const key = (r: unknown[]): string => JSON.stringify(r);
  const sa = a.map(key).sort();
  const sb = b.map(key).sort();
  for (let i = 0; i < sa.length; i++) if (sa[i] !== sb[i]) return { equal: false, detail: `first difference: ${sa[i]} vs ${sb[i]}` };
  return { equal: true, detail: `${a.length} rows equal` };
}

/**
 * A query's output records (JSON values, in output order) as the rows of its result table:
 * updating queries reduced to the last row per key, then the sink table's columns. For outputs
 * read back from a topic (the Kafka peers, and Tributary's own run on Kafka).
 */
export function resultTable(query: string, records: ReadonlyArray<Record<string, unknown>>): unknown[][] {
  const cols = COLUMNS[query];
  if (!cols) throw new Error(`no agreement check for ${query}`);
  const finalKey = FINAL_KEY[query];
  const table = finalKey ? [...new Map(records.map((r) => [finalKey(r), r])).values()] : records;
  const flat = query === 'q19' ? table.flatMap((r) => r.ranking as Array<Record<string, unknown>>) : table;
  return flat.map((r) => cols.map((c) => r[c]));
}
