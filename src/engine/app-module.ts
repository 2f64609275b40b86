import type { LogConnector } from '../connectors/log.js';
import type { StreamsApp } from './app.js';

/**
 * What `tributary run app.ts` hands to an application file, and what it expects back.
 *
 *   // app.ts
 *   import { StreamsApp, json, type RunContext } from 'tributary';
 *   export default function main(ctx: RunContext): StreamsApp {
 *     const app = new StreamsApp({ applicationId: 'clicks', log: ctx.log });
 *     app.stream('clicks', { value: json<Click>() }).filter((c) => c.kind === 'view').to('views');
 *     return app;
 *   }
 *   // optional: a built-in input generator, run next to the app until ctx.signal aborts
 *   export async function generate(ctx: RunContext): Promise<void> { ... }
 *
 * The runner starts the returned app (it must not be started yet), runs `generate` beside it
 * when the module exports one, and on `--duration` expiry or SIGINT/SIGTERM aborts `signal`,
 * waits for `generate` to return and closes the app (its last commit included).
 */
export interface RunContext {
  /** The log the app should use: the embedded log in `--data-dir` by default, or `kafka({ brokers })` with `--brokers`. */
  readonly log: LogConnector;
  /** The data directory of the embedded log (also a place for the app's own files). */
  readonly dataDir: string;
  /** `--duration` in milliseconds; undefined when the run lasts until SIGINT/SIGTERM. */
  readonly durationMs: number | undefined;
  /** Aborted when the run ends (duration reached, SIGINT or SIGTERM). */
  readonly signal: AbortSignal;
  /** Arguments after the file name that the runner did not consume (e.g. `-- --rate 5000`). */
  readonly args: readonly string[];
}

/** The shape of a module `tributary run` accepts. */
export interface AppModule {
  readonly default: (ctx: RunContext) => StreamsApp | Promise<StreamsApp>;
  readonly generate?: (ctx: RunContext) => Promise<void>;
}
