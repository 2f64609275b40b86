/**
 * Clickstream analytics: `tributary run examples/analytics/app.ts --duration 30s`
 * (after the file: `-- --rate N` sets the generator's clicks per second, default 2000).
 */
import { StreamsApp, type RunContext } from '../../src/index.js';
import { ensureTopics, generateInto, rateOf } from '../shared/log-io.js';
import { TOPICS } from './events.js';
import { clickstream } from './generator.js';
import { analytics } from './topology.js';

export const PARTITIONS = 2;

export default async function main(ctx: RunContext): Promise<StreamsApp> {
  await ensureTopics(ctx.log, [{ name: TOPICS.clicks, partitions: PARTITIONS }]);
  const app = new StreamsApp({ applicationId: 'analytics', log: ctx.log });
  analytics(app);
  return app;
}

/** The built-in generator: a seeded clickstream, ~200 ms of event time per click. */
export async function generate(ctx: RunContext): Promise<void> {
  await generateInto(ctx, clickstream({ seed: 1, start: Date.now() }), rateOf(ctx.args, 2_000));
}
