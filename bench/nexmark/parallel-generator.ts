/**
 * The Nexmark generator on several threads, as Beam's source runs it on several readers: every
 * event is a pure function of its position (its own `new Random(eventId + seed)`, see
 * generator.ts), so worker threads (generator-worker.ts) fill JSON batches of disjoint event
 * ranges at once and the caller gets them back in event order — the same bytes, event times and
 * types, in the same order, as one NexmarkGenerator's fillJson from the same position.
 *
 *   const gen = new ParallelJsonGenerator(config, { threads: 2 });
 *   try { for await (const batch of gen) use(batch); } finally { await gen.close(); }
 *
 * Memory is bounded: the batches live in a fixed number of SharedArrayBuffer slots (`slots`,
 * default 2 per thread + 2); a worker only gets a range when a slot is free, and the slot of the
 * batch the caller holds is freed when the caller asks for the next one (so a batch is valid until
 * then). Workers are terminated at the end, by close(), by leaving a for-await loop early, and on
 * the first error of any worker (which the caller then gets from next()).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { GeneratorConfig, type NexmarkConfig } from './config.js';
import type { FillRequest, FillResult, GeneratorWorkerData } from './generator-worker.js';
import { JsonEventBatch, NexmarkGenerator } from './generator.js';

export class ParallelGeneratorError extends Error {
  readonly code = 'NEXMARK_PARALLEL_GENERATOR';
}

export interface ParallelJsonGeneratorOptions {
  /** Worker threads (default: the machine's cores). */
  threads?: number;
  /** Events per batch (default 4096). */
  batchEvents?: number;
  /** Bytes per batch (default JsonEventBatch.defaultBytes(batchEvents)); a batch holds fewer events when they run out. */
  batchBytes?: number;
  /** Batches in memory at once, the caller's included (default 2 * threads + 2, at least threads + 1). */
  slots?: number;
  /** First position (Beam's eventsCountSoFar) to generate (default 0). */
  from?: number;
  /** Position to stop before (default the config's maxEvents). */
  to?: number;
}

interface Range {
  from: number;
  to: number;
}

/** The worker's module, run through tsx when this file is TypeScript (bench runs under tsx). */
function startWorker(data: GeneratorWorkerData): Worker {
  const url = new URL(import.meta.url.endsWith('.ts') ? './generator-worker.ts' : './generator-worker.js', import.meta.url);
  if (url.pathname.endsWith('.js')) return new Worker(url, { workerData: data });
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(boot, { eval: true, workerData: data });
}

export class ParallelJsonGenerator implements AsyncIterableIterator<JsonEventBatch> {
  readonly config: GeneratorConfig;
  readonly threads: number;
  readonly batchEvents: number;
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly batches: JsonEventBatch[];
  private readonly freeSlots: number[] = [];
  /** Ranges cut short by a full slot, to be generated before any new range (sorted by start). */
  private readonly remainders: Range[] = [];
  /** Filled slots by the position of their first event. */
  private readonly ready = new Map<number, FillResult>();
  private readonly end: number;
  private nextFrom: number;
  private deliverFrom: number;
  private held = -1;
  private failure: Error | undefined;
  private closed = false;
  private wake: (() => void) | undefined;
  private exited = 0;
  private sent = 0;

  constructor(config: Partial<NexmarkConfig> | GeneratorConfig = {}, o: ParallelJsonGeneratorOptions = {}) {
    this.config = config instanceof GeneratorConfig ? config : new GeneratorConfig(config);
    this.threads = o.threads ?? availableParallelism();
    this.batchEvents = o.batchEvents ?? 4096;
    const batchBytes = o.batchBytes ?? JsonEventBatch.defaultBytes(this.batchEvents);
    const slots = o.slots ?? 2 * this.threads + 2;
    const from = o.from ?? 0;
    this.end = Math.min(o.to ?? this.config.maxEvents, this.config.maxEvents);
    if (!(this.threads >= 1) || !Number.isInteger(this.threads)) throw new ParallelGeneratorError(`threads must be a positive integer, not ${this.threads}`);
    if (!(slots > this.threads) || !Number.isInteger(slots)) throw new ParallelGeneratorError(`slots must be an integer above threads (${this.threads}), not ${slots}`);
    if (!Number.isSafeInteger(from) || from < 0 || !Number.isSafeInteger(this.end)) throw new ParallelGeneratorError(`bad range [${from}, ${this.end})`);
    this.nextFrom = from;
    this.deliverFrom = from;
    const storage = Array.from({ length: slots }, () => new SharedArrayBuffer(JsonEventBatch.storageBytes(this.batchEvents, batchBytes)));
    this.batches = storage.map((s) => new JsonEventBatch(this.batchEvents, batchBytes, s));
    for (let i = 0; i < slots; i++) this.freeSlots.push(i);
    if (from >= this.end) return; // nothing to generate: no thread started
    const data: GeneratorWorkerData = { config: { ...this.config.config }, slots: storage, maxEvents: this.batchEvents, maxBytes: batchBytes };
    for (let i = 0; i < this.threads; i++) {
      const w = startWorker(data);
      w.on('message', (r: FillResult) => this.onResult(w, r));
      w.on('error', (e: Error) => this.fail(new ParallelGeneratorError(`generator worker failed: ${e.message}`, { cause: e })));
      w.on('exit', (code) => {
        this.exited++;
        if (!this.closed) this.fail(new ParallelGeneratorError(`generator worker exited with code ${code}`));
        this.notify();
      });
      this.workers.push(w);
      this.idle.push(w);
    }
    this.schedule();
  }

  /** Ranges handed to workers so far (never more than the slots beyond those the caller has taken). */
  get rangesSent(): number {
    return this.sent;
  }

  /** Worker threads still running (0 after close() has resolved). */
  get liveWorkers(): number {
    return this.workers.length - this.exited;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<JsonEventBatch> {
    return this;
  }

  /**
   * The next batch in event order (valid until the following call); done after the last one.
   * Throws the first worker error (all workers are then closed).
   */
  async next(): Promise<IteratorResult<JsonEventBatch>> {
    if (this.held >= 0) {
      this.freeSlots.push(this.held);
      this.held = -1;
      this.schedule();
    }
    for (;;) {
      if (this.failure) {
        await this.close();
        throw this.failure;
      }
      if (this.deliverFrom >= this.end || this.closed) {
        await this.close();
        return { done: true, value: undefined };
      }
      const r = this.ready.get(this.deliverFrom);
      if (r) {
        this.ready.delete(r.from);
        const batch = this.batches[r.slot]!;
        batch.count = r.stop - r.from;
        batch.length = r.length;
        batch.watermark = r.watermark;
        this.held = r.slot;
        this.deliverFrom = r.stop;
        return { done: false, value: batch };
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  /** Stop early: terminate the workers. */
  async return(): Promise<IteratorResult<JsonEventBatch>> {
    await this.close();
    return { done: true, value: undefined };
  }

  /** Terminates every worker (idempotent); resolves when they have exited. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private onResult(w: Worker, r: FillResult): void {
    this.ready.set(r.from, r);
    this.idle.push(w);
    if (r.stop < r.to) {
      // The slot's bytes ran out first: the rest of the range comes before any new one.
      const rest = { from: r.stop, to: r.to };
      let i = this.remainders.length;
      while (i > 0 && this.remainders[i - 1]!.from > rest.from) i--;
      this.remainders.splice(i, 0, rest);
    }
    this.schedule();
    this.notify();
  }

  private schedule(): void {
    if (this.closed || this.failure) return;
    while (this.idle.length > 0 && this.freeSlots.length > 0) {
      let range = this.remainders.shift();
      if (!range) {
        if (this.nextFrom >= this.end) return;
        range = { from: this.nextFrom, to: Math.min(this.nextFrom + this.batchEvents, this.end) };
        this.nextFrom = range.to;
      }
      const req: FillRequest = { slot: this.freeSlots.pop()!, from: range.from, to: range.to };
      this.idle.pop()!.postMessage(req);
      this.sent++;
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.workers) void w.terminate();
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/**
 * The JSON batches of events [0, config.maxEvents) in order: from worker threads when there are at
 * least `parallelFrom` events (default 200,000: below that, starting the threads costs more than
 * they save), else from one NexmarkGenerator on this thread. Both give the same batches (batch
 * boundaries too, while events fit the batches' bytes). A batch is valid until the next one.
 */
export async function* jsonEventBatches(
  config: Partial<NexmarkConfig> | GeneratorConfig,
  o: ParallelJsonGeneratorOptions & { parallelFrom?: number } = {},
): AsyncGenerator<JsonEventBatch> {
  const cfg = config instanceof GeneratorConfig ? config : new GeneratorConfig(config);
  const from = o.from ?? 0;
  const to = Math.min(o.to ?? cfg.maxEvents, cfg.maxEvents);
  if (to - from < (o.parallelFrom ?? 200_000) || (o.threads ?? availableParallelism()) < 2) {
    const gen = new NexmarkGenerator(cfg);
    gen.skipTo(from);
    const batchEvents = o.batchEvents ?? 4096;
    const batch = new JsonEventBatch(batchEvents, o.batchBytes ?? JsonEventBatch.defaultBytes(batchEvents));
    while (gen.eventsCountSoFar < to && gen.fillJson(batch, to - gen.eventsCountSoFar) > 0) yield batch;
    return;
  }
  const gen = new ParallelJsonGenerator(cfg, o);
  try {
    yield* gen;
  } finally {
    await gen.close();
  }
}
