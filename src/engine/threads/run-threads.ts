import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { LogConnector } from '../../connectors/log.js';
import { canServe, serveLog } from '../../connectors/threads/index.js';
import { fromWireError, type WireError } from '../../connectors/threads/protocol.js';
import { TopologyError } from '../errors.js';
import type { RuntimeOptions } from '../runtime/options.js';
import type { RunSummary } from '../runtime/runtime.js';

/** What runThreads passes on to each thread's run: run options that can cross to a worker (no functions). */
export type ThreadRunOptions = Pick<
  RuntimeOptions,
  | 'processingGuarantee'
  | 'commitIntervalMs'
  | 'stateDir'
  | 'stateSync'
  | 'stateCacheMaxBytes'
  | 'instanceId'
  | 'wallClockIntervalMs'
  | 'maxBufferedBytes'
  | 'fetchMaxBytesPerPartition'
  | 'fetchMaxBytes'
  | 'maxPendingAsync'
> & { readonly stateStore?: 'memory' | 'lmdb' };

export interface ThreadsOptions extends ThreadRunOptions {
  /** Worker threads to run the tasks on (Kafka Streams' num.stream.threads). */
  readonly threads: number;
  /** The embedded log (`embedded({ dataDir })`), opened here and served to the threads. */
  readonly log: LogConnector;
  /** As in StreamsApp.run: 'end' for a bounded run, 'closed' to run until `signal` aborts. */
  readonly until: 'end' | 'closed';
  /** Ends a run (each thread commits what it processed and stops). */
  readonly signal?: AbortSignal;
  /** Handed to the module's function as RunContext.args. */
  readonly args?: readonly string[];
  /** The module's export that makes the app; default 'default'. */
  readonly export?: string;
  /** Called once every thread's application has started (restored its state, assigned its inputs), or failed to: then the run rejects at once. */
  readonly onStarted?: () => void;
}

/** What the main thread tells a worker (worker.ts). */
export interface ThreadData {
  readonly module: string;
  readonly exportName: string;
  readonly index: number;
  readonly count: number;
  readonly until: 'end' | 'closed';
  readonly options: ThreadRunOptions;
  readonly args: readonly string[];
  readonly dataDir: string;
}

/** What a worker answers when its run ends. */
export type ThreadResult = { readonly summary: RunSummary } | { readonly error: WireError };

/** What a worker tells the main thread: its application started, then its result. */
export type ThreadMessage = { readonly started: number } | ThreadResult;

/**
 * Runs an application on several threads of this process (Kafka Streams' num.stream.threads): a
 * run of N threads is N instances of the application sharing its tasks by partition (thread i
 * runs the tasks of partitions p with p % N === i, of every sub-topology), and the embedded log,
 * which stays in this thread. The application is built in each thread by `module` — an app
 * module as `tributary run` takes it (app-module.ts): its default export gets a RunContext and
 * returns the StreamsApp, not started. Closures cannot cross threads; a module can be imported
 * again. `module` is a URL (`new URL('./app.ts', import.meta.url)`) or a path from the working directory.
 *
 * Each thread has its own transactional producer (`<applicationId>-<instanceId>-t<i>`), so
 * exactly-once holds per thread as across processes; a thread's records for a repartition topic
 * reach the reading thread through the log. Resolves with the threads' summaries added up; if a
 * thread fails, the others are closed and the first error is thrown.
 */
export async function runThreads(module: string | URL, options: ThreadsOptions): Promise<RunSummary> {
  const count = options.threads;
  if (!Number.isInteger(count) || count < 1) throw new TopologyError(`threads must be a whole number >= 1, got ${String(count)}`);
  const log = await options.log.connect();
  try {
    if (!canServe(log)) throw new TopologyError(`runThreads needs the embedded log; on ${log.kind}, run processes with scaleOut instead`);
    const { threads: _t, log: _l, until, signal, args, export: exportName, onStarted, ...runOptions } = options;
    const workers: Worker[] = [];
    let starting = count;
    const results: Array<Promise<ThreadResult>> = [];
    for (let index = 0; index < count; index++) {
      const { port1, port2 } = new MessageChannel();
      serveLog(log, port1);
      const data: ThreadData = {
        module: moduleUrl(module),
        exportName: exportName ?? 'default',
        index,
        count,
        until,
        options: runOptions,
        args: args ?? [],
        dataDir: log.manager.dataDir,
      };
      const w = startWorker(data, port2);
      workers.push(w);
      results.push(
        new Promise<ThreadResult>((resolve) => {
          w.on('message', (m: ThreadMessage) => {
            if (!('started' in m)) resolve(m);
            else if (--starting === 0) onStarted?.();
          });
          w.once('error', (e) => resolve({ error: { name: e.name, code: undefined, message: `thread ${index}: ${e.message}` } }));
          w.once('exit', (code) => resolve({ error: { name: 'Error', code: undefined, message: `thread ${index} exited (code ${code}) before its run ended` } }));
        }).finally(() => port1.close()),
      );
    }
    const closeAll = (): void => {
      for (const w of workers) w.postMessage('close');
    };
    signal?.addEventListener('abort', closeAll, { once: true });
    if (signal?.aborted) closeAll();
    // A failed thread ends the run: the others commit what they processed and stop.
    for (const r of results) void r.then((x) => 'error' in x && closeAll());
    const settled = await Promise.all(results);
    signal?.removeEventListener('abort', closeAll);
    await Promise.all(workers.map((w) => w.terminate()));
    const failed = settled.find((r): r is { error: WireError } => 'error' in r);
    if (failed) throw fromWireError(failed.error);
    return addUp(settled.map((r) => (r as { summary: RunSummary }).summary));
  } finally {
    await log.close();
  }
}

/** The module as a URL the workers can import: a path is taken from this process's working directory. */
function moduleUrl(module: string | URL): string {
  if (typeof module !== 'string' || /^[a-z][a-z0-9+.-]*:/i.test(module)) return String(module);
  return pathToFileURL(resolve(module)).href;
}

/** The worker's module, run through tsx when this file is TypeScript (tests, benchmarks and the CLI run under tsx). */
function startWorker(data: ThreadData, port: MessagePort): Worker {
  const url = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);
  const transferList = [port];
  const workerData = { ...data, port };
  if (url.pathname.endsWith('.js')) return new Worker(url, { workerData, transferList });
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(boot, { eval: true, workerData, transferList });
}

/** The threads' summaries as one run's. */
function addUp(all: readonly RunSummary[]): RunSummary {
  const sum = (pick: (s: RunSummary) => Record<string, number>): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const s of all) for (const [k, v] of Object.entries(pick(s))) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  const total = (pick: (s: RunSummary) => number): number => all.reduce((a, s) => a + pick(s), 0);
  const max = (pick: (s: RunSummary) => number): number => all.reduce((a, s) => Math.max(a, pick(s)), 0);
  return {
    recordsIn: sum((s) => s.recordsIn),
    recordsOut: sum((s) => s.recordsOut),
    lateRecords: total((s) => s.lateRecords),
    deadLettered: total((s) => s.deadLettered),
    commits: total((s) => s.commits),
    durationMs: max((s) => s.durationMs),
    restoredRecords: total((s) => s.restoredRecords),
    restoreMs: max((s) => s.restoreMs),
  };
}
