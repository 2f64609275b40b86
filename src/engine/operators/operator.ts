import type { KeyValueStore } from '../../state/kv-store.js';
import type { RecordHeader } from '../../records/record.js';
import type { OutputRecord, Rec } from '../records.js';
import type { PoisonRecords } from '../poison.js';

/**
 * What a task offers its operators. One per task, shared by all of its operators.
 */
export interface OperatorContext {
  readonly applicationId: string;
  readonly taskId: string;
  readonly partition: number;
  /** Wall-clock time as last given to the task (the engine never reads the clock itself). */
  readonly wallClock: number;
  /** The event-time watermark as `op` has seen it (operators see a watermark advance in topological order). */
  watermarkFor(op: Operator): number;
  /** The stamp for records an operator creates on its own (timer output): the watermark before the current advance. */
  generatedStamp(): number;
  /** The task's store of that name (logged unless declared otherwise). */
  store(name: string): KeyValueStore;
  /** The operator has an event-time timer at t: the task calls onEventTime once the watermark reaches t. */
  requestEventTime(t: number): void;
  /** The operator has a processing-time timer at t: the task calls onProcessingTime once the wall clock reaches t. */
  requestProcessingTime(t: number): void;
  /** Sends rec to the dead-letter topic (or throws ProcessingError under the 'fail' policy). */
  deadLetter(rec: Rec, error: unknown, operator: string): void;
  /**
   * User code threw while it held cached state (poison.ts): throws RollbackRequiredError for the
   * runtime or test driver to roll the task back; dead-letters rec instead where the task's
   * driver cannot roll back (a Task driven by hand), or throws ProcessingError under 'fail'.
   */
  stateFailed(rec: Rec, error: unknown, operator: string, keyId: string): void;
  /** Records to dead-letter without calling user code (the replay after a rollback); undefined when none. */
  readonly poison: PoisonRecords | undefined;
  /** Counts a late record; with no late side output it is dead-lettered, so nothing is dropped silently. */
  late(rec: Rec, operator: string, hasSideOutput: boolean): void;
  send(topic: string, partition: number, timestamp: number, key: Buffer | null, value: Buffer | null, headers: readonly RecordHeader[]): void;
  partitionsFor(topic: string): number;
  /** Whether `topic`'s records stay in this process and may go as ExchangedRecords (sendRecord): a local repartition. */
  handsOver(topic: string): boolean;
  /** Sends a record made by the operator (an ExchangedRecord, for a topic handsOver() said yes to). */
  sendRecord(record: OutputRecord): void;
  /** An operator started asynchronous work: the task holds back watermarks and commits until it ends. */
  asyncStarted(): void;
  asyncEnded(): void;
  /** An error in asynchronous work that must fail the task (surfaces from settle()). */
  asyncFailed(error: unknown): void;
}

/**
 * The runtime form of one node of a sub-topology, inside one task. Every hook but `process` is
 * a no-op by default, so an operator implements only what it needs:
 *
 * - `open(ctx)`: once, after the task's stores were restored from their changelogs and before
 *   the first record; operators rebuild in-memory indexes and timers from their stores here.
 * - `process(rec)`: one record, synchronously; results go downstream with `forward`, in the
 *   same call stack (no queue, no promise).
 * - `nextEventTime()` / `onEventTime(w)`: the earliest event-time timer, and the call the task
 *   makes when the watermark reaches it, with the new watermark `w`; fire every timer <= w.
 * - `nextProcessingTime()` / `onProcessingTime(now)`: the same against the wall clock.
 * - `onBatchEnd()`: after each batch, before the task may commit.
 * - `flushState()`: before each commit; an operator that keeps state in JS between commits (a
 *   record cache) writes what changed to its stores now, so the commit's changelog covers it.
 * - `close()`: the task is shutting down (or migrating); release resources, do not emit.
 */
export abstract class Operator {
  /** Position in the task's topological order; set by the task. */
  index = 0;
  /** Downstream operators by output port; 'main' unless the operator has several outputs. */
  readonly outputs = new Map<string, Operator[]>();
  protected main: Operator[] = [];
  protected ctx!: OperatorContext;
  /** Records passed downstream (forward/forwardTo); a plain counter read by metrics at scrape time. */
  forwarded = 0;

  constructor(readonly name: string) {
    this.outputs.set('main', this.main);
  }

  connect(port: string, op: Operator): void {
    let list = this.outputs.get(port);
    if (!list) this.outputs.set(port, (list = []));
    list.push(op);
  }

  /** Called by the task; subclasses override open() instead. */
  attach(ctx: OperatorContext): void {
    this.ctx = ctx;
    this.main = this.outputs.get('main')!;
  }

  open(): void {}
  abstract process(rec: Rec): void;
  nextEventTime(): number {
    return Infinity;
  }
  onEventTime(_watermark: number): void {}
  nextProcessingTime(): number {
    return Infinity;
  }
  onProcessingTime(_now: number): void {}
  onBatchEnd(): void {}
  flushState(): void {}
  close(): void {}

  protected forward(rec: Rec): void {
    this.forwarded++;
    const d = this.main;
    for (let i = 0; i < d.length; i++) d[i]!.process(rec);
  }

  protected forwardTo(port: string, rec: Rec): void {
    const d = this.outputs.get(port);
    if (!d) return;
    this.forwarded++;
    for (let i = 0; i < d.length; i++) d[i]!.process(rec);
  }

  protected hasOutput(port: string): boolean {
    const d = this.outputs.get(port);
    return d !== undefined && d.length > 0;
  }

  protected watermark(): number {
    return this.ctx.watermarkFor(this);
  }

  /**
   * On the replay after a rollback (poison.ts): true when user code threw on `rec` here while it
   * held the state of `key` (store key bytes, or the operator's key id); the record has been
   * dead-lettered with that error, and user code must not be called.
   */
  protected poisoned(rec: Rec, key: Buffer | string): boolean {
    const p = this.ctx.poison;
    if (p === undefined) return false;
    const id = p.idOf(this.name, rec, typeof key === 'string' ? key : key.toString('latin1'));
    if (!p.has(id)) return false;
    this.ctx.deadLetter(rec, p.errorOf(id), this.name);
    return true;
  }

  /**
   * User code threw on `rec`. If it was given an object of the operator's cached state (`held`),
   * it may have changed it in place: the task rolls back (poison.ts). Otherwise the state is as
   * it was and the record is dead-lettered.
   */
  protected userCodeFailed(rec: Rec, error: unknown, key: Buffer | string, held: boolean): void {
    if (held) this.ctx.stateFailed(rec, error, this.name, typeof key === 'string' ? key : key.toString('latin1'));
    else this.ctx.deadLetter(rec, error, this.name);
  }
}

/** Whether user code given `v` could change it in place (an object, not a primitive). */
export function isMutable(v: unknown): boolean {
  return (typeof v === 'object' && v !== null) || typeof v === 'function';
}

/**
 * Adapts a two-input operator (a join) to the one-input `process` of its parents: the parent
 * on the left is connected to `left`, the one on the right to `right`.
 */
export class InputPort extends Operator {
  constructor(
    name: string,
    private readonly target: { processSide(side: 0 | 1, rec: Rec): void },
    private readonly side: 0 | 1,
  ) {
    super(name);
  }
  process(rec: Rec): void {
    this.target.processSide(this.side, rec);
  }
}
