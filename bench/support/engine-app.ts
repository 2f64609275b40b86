/**
 * The applications of the engine bench's throughput cases, as an app module (src/engine/app-module.ts):
 * bench/engine.ts builds one in its own thread, and runThreads builds one in each worker thread
 * (`--threads`), from `args[0]`, the case: 'a' filter+map, 'b' keyBy + 10 s tumbling count, 'c' keyBy + 10 s / 2 s
 * hopping count, 'd' a 5 s windowed stream-stream join of orders and payments.
 */
import { StreamsApp, float64, hopping, string, tumbling, type RunContext } from '../../src/index.js';
import { keyAmountSerde } from './key-amount.js';

export default function engineApp(ctx: RunContext): StreamsApp {
  const id = ctx.args[0];
  // Idleness is a wall-clock feature: on a loaded machine a starved input partition could turn
  // idle mid-run and make the other side's records late. Pre-written input is never idle.
  const app = new StreamsApp({ applicationId: `bench-${id}`, idleTimeout: '1h', log: ctx.log });
  if (id === 'd') {
    // Payments arrive up to 3 s after their order, out of order among themselves: 3 s of out-of-orderness.
    const orders = app.stream('orders', { key: string(), value: keyAmountSerde, maxOutOfOrderness: '3s' });
    const payments = app.stream('payments', { key: string(), value: keyAmountSerde, maxOutOfOrderness: '3s' });
    orders.join(payments, (a, b) => a.a + b.a, { within: '5s', name: 'pay' }).to('out', { value: float64() });
    return app;
  }
  const s = app.stream('events', { value: keyAmountSerde });
  if (id === 'a') {
    s.filter((e) => e.a % 10 !== 0)
      .mapValues((e) => e.a * 2)
      .to('out', { value: float64() });
    return app;
  }
  if (id !== 'b' && id !== 'c') throw new Error(`engine bench: no application for case '${String(id)}'`);
  const keyed = s.keyBy((e) => `k${e.k}`, { key: string(), name: 'by-key' });
  const windows = id === 'b' ? tumbling('10s') : hopping('10s', '2s');
  keyed.window(windows, { grace: '1s' }).count({ name: 'counts' }).toStream().to('out', { value: float64() });
  return app;
}
