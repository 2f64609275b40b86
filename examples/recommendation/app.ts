/**
 * Recommendations: `tributary run examples/recommendation/app.ts --duration 30s`
 * (after the file: `-- --rate N` views per second, default 2000; `-- --port P` for the query endpoint, default 8080).
 */
import { StreamsApp, type RunContext } from '../../src/index.js';
import { ensureTopics, generateInto, rateOf } from '../shared/log-io.js';
import { TOPICS } from './events.js';
import { itemViews } from './generator.js';
import { RecommendationServer } from './query-server.js';
import { recommendation } from './topology.js';

export const PARTITIONS = 2;

export default async function main(ctx: RunContext): Promise<StreamsApp> {
  await ensureTopics(ctx.log, [{ name: TOPICS.views, partitions: PARTITIONS }]);
  const app = new StreamsApp({ applicationId: 'recommendation', log: ctx.log });
  recommendation(app);
  // The query endpoint lives as long as the run; the output topics are created by the app at start.
  const i = ctx.args.indexOf('--port');
  const port = i >= 0 ? Number(ctx.args[i + 1]) : 8080;
  const server = new RecommendationServer(ctx.log);
  const url = await server.listen(port);
  console.error(`recommendations: GET ${url}/recommendations/<item>, ${url}/trending`);
  ctx.signal.addEventListener('abort', () => void server.close(), { once: true });
  return app;
}

/** The built-in generator: seeded browsing sessions, ~500 ms of event time per view. */
export async function generate(ctx: RunContext): Promise<void> {
  await generateInto(ctx, itemViews({ seed: 3, start: Date.now() }), rateOf(ctx.args, 2_000));
}
