/**
 * Fleet tracking: `tributary run examples/location/app.ts --duration 30s`
 * (after the file: `-- --rate N` GPS fixes per second, default 2000).
 */
import { StreamsApp, type RunContext } from '../../src/index.js';
import { ensureTopics, generateInto, rateOf } from '../shared/log-io.js';
import { TOPICS } from './events.js';
import { fleet } from './generator.js';
import { location } from './topology.js';

export const PARTITIONS = 2;

export default async function main(ctx: RunContext): Promise<StreamsApp> {
  await ensureTopics(ctx.log, [{ name: TOPICS.positions, partitions: PARTITIONS }]);
  const app = new StreamsApp({ applicationId: 'location', log: ctx.log });
  location(app);
  return app;
}

/** The built-in generator: a seeded fleet of 30 vehicles, one fix each per 5 s of event time. */
export async function generate(ctx: RunContext): Promise<void> {
  await generateInto(ctx, fleet({ seed: 4, start: Date.now() }), rateOf(ctx.args, 2_000));
}
