/**
 * Tributary's result rows for a query over the first N events, as column arrays in the order of
 * nexmark/nexmark's sink table, to compare with a peer's rows before any ratio is printed. The
 * query code is the benchmark's own (bench/nexmark/queries), run by the TopologyTestDriver.
 */
import { StreamsApp, TopologyTestDriver, json } from '../../src/index.js';
import { generateEvents } from '../nexmark/generator.js';
import { EVENTS_TOPIC, nexmarkEvents, queryNamed } from '../nexmark/queries/index.js';

/** Column order of each query's sink table. */
const COLUMNS: Record<string, string[]> = {
  q0: ['auction', 'bidder', 'price', 'dateTime', 'extra'],
  q1: ['auction', 'bidder', 'price', 'dateTime', 'extra'],
  q2: ['auction', 'price'],
};

export function tributaryRows(query: string, events: number): unknown[][] {
  const q = queryNamed(query);
  const cols = COLUMNS[query];
  if (!q || !cols) throw new Error(`no agreement check for ${query}`);
  const app = new StreamsApp({ applicationId: `agree-${query}` });
  const source = nexmarkEvents(app);
  q.build(source, 'out');
  const driver = new TopologyTestDriver(app, { partitions: { [EVENTS_TOPIC]: 1 } });
  const input = driver.input(source);
  for (const e of generateEvents(events)) input.pipe({ key: null, value: e, timestamp: e.dateTime });
  driver.drain();
  const rows = driver.output<unknown, Record<string, unknown>>('out', { value: json() }).readValues();
  driver.close();
  return rows.map((r) => cols.map((c) => r![c]));
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
