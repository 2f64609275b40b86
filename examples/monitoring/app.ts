/**
 * Service monitoring: `tributary run examples/monitoring/app.ts --duration 30s`
 * (after the file: `-- --rate N` requests per second, default 2000; `-- --webhook URL` POSTs each alert there).
 */
import { StreamsApp, type RunContext } from '../../src/index.js';
import { ensureTopics, generateInto, rateOf } from '../shared/log-io.js';
import { TOPICS } from './events.js';
import { telemetry } from './generator.js';
import { monitoring } from './topology.js';

export const PARTITIONS = 2;

export default async function main(ctx: RunContext): Promise<StreamsApp> {
  await ensureTopics(ctx.log, [
    { name: TOPICS.requests, partitions: PARTITIONS },
    { name: TOPICS.logs, partitions: PARTITIONS },
  ]);
  const i = ctx.args.indexOf('--webhook');
  const webhookUrl = i >= 0 ? ctx.args[i + 1] : process.env['MONITORING_WEBHOOK_URL'];
  const app = new StreamsApp({ applicationId: 'monitoring', log: ctx.log });
  monitoring(app, webhookUrl ? { webhookUrl } : {});
  return app;
}

/** The built-in generator: seeded telemetry, ~50 ms of event time per request. */
export async function generate(ctx: RunContext): Promise<void> {
  await generateInto(ctx, telemetry({ seed: 2, start: Date.now() }), rateOf(ctx.args, 2_000));
}
