import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { threadLog } from '../../connectors/threads/index.js';
import { toWireError } from '../../connectors/threads/protocol.js';
import type { RunContext } from '../app-module.js';
import type { StreamsApp } from '../app.js';
import type { ThreadData, ThreadMessage, ThreadResult } from './run-threads.js';

/**
 * One thread of runThreads: builds the application from its module, runs this thread's share of
 * its tasks on the log served by the main thread, and answers with the run's summary or error.
 */
const data = workerData as ThreadData & { port: MessagePort };
const parent = parentPort!;
const ac = new AbortController();
let app: StreamsApp | undefined;
parent.on('message', (m: unknown) => {
  if (m !== 'close' || ac.signal.aborted) return;
  ac.abort();
  void app?.close().catch(() => {});
});

async function main(): Promise<ThreadResult> {
  const log = threadLog(data.port);
  const mod = (await import(data.module)) as Record<string, unknown>;
  const make = mod[data.exportName];
  if (typeof make !== 'function') throw new TypeError(`${data.module} has no function export '${data.exportName}' (it should make the StreamsApp)`);
  const ctx: RunContext = { log, dataDir: data.dataDir, durationMs: undefined, signal: ac.signal, args: data.args };
  const made: unknown = await (make as (ctx: RunContext) => unknown)(ctx);
  // Checked before it is kept: a 'close' from the main thread (another thread failed) calls app.close().
  if (typeof (made as Partial<StreamsApp> | null)?.run !== 'function') throw new TypeError(`${data.exportName} of ${data.module} should return a StreamsApp (not started)`);
  app = made as StreamsApp;
  const instanceId = `${data.options.instanceId ?? 'main'}-t${data.index}`;
  const run = app.run({ ...data.options, log, until: data.until, instanceId, thread: { index: data.index, count: data.count } });
  run.catch(() => {});
  // Closed before the run started: it stops at once, committing nothing it did not process.
  if (ac.signal.aborted) void app.close().catch(() => {});
  // Posted after a failed start too: the run's error follows at once and ends the run.
  await app.activeRuntime?.started;
  parent.postMessage({ started: data.index } satisfies ThreadMessage);
  return { summary: await run };
}

main().then(
  (r) => parent.postMessage(r),
  (e: unknown) => parent.postMessage({ error: toWireError(e) } satisfies ThreadResult),
).finally(() => data.port.close());
