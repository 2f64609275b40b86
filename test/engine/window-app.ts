import { StreamsApp, TopologyTestDriver, json, string, hopping, windowed } from '../../src/index.js';
import { WindowAggregateOperator } from '../../src/engine/operators/window-aggregate.js';
import type { Ev } from './reference.js';

/** The window tests' maxOutOfOrderness (ms). */
export const OOO = 2_000;
export const wserdes = { key: windowed(string()), value: json<number>() };

/**
 * The window tests' application: a hopping count (one pane per slot) and a hopping sum kept per
 * window (one slot per window), written to the topics 'count' and 'slots'.
 */
export function countAndSumApp(applicationId: string, size: number, advance: number, grace: number): StreamsApp {
  const app = new StreamsApp({ applicationId });
  const w = app
    .stream('events', { key: string(), value: json<Ev>(), timestamp: (e) => e.ts, maxOutOfOrderness: OOO })
    .groupByKey()
    .window(hopping(size, advance), { grace });
  w.count({ name: 'count' }).toStream().to('count', { value: json() }); // panes
  w.aggregate(() => 0, (acc, e) => acc + e.n, { name: 'slots' }).toStream().to('slots', { value: json() }); // one slot per window
  return app;
}

/** The window operators of a one-task driver. */
export function windowOps(driver: TopologyTestDriver): WindowAggregateOperator[] {
  return driver.allTasks[0]!.operators.filter((o): o is WindowAggregateOperator => o instanceof WindowAggregateOperator);
}
