import { errorMessage } from './errors.js';

/**
 * Records on which user code threw while it held an operator's cached state.
 *
 * Aggregations, sessions, windows and process() states hold each key's state decoded between
 * commits (record caches). An aggregator or processor that changes that object in place and then
 * throws leaves a half-applied record in the cache, which the next commit would write: before the
 * caches a throw left the stored bytes untouched. Undoing it in place would need a copy of the
 * state before every call, which is what the caches save. So, as Flink fails over to its last
 * checkpoint, the task gives up: the operator throws RollbackRequiredError, the runtime (or the test
 * driver) aborts the open transaction, drops its tasks, restores their stores to the last commit
 * and reads the inputs again from the committed offsets. On that replay the operator recognises
 * the record by its id and sends it straight to the dead-letter topic without calling user code.
 * The committed result is therefore the one without the record, which is in the dead-letter topic
 * once, with the error it threw.
 *
 * The id says which operator, which input record (source topic, partition, offset: stable across
 * the replay, since the tasks read only committed data) and which state key; a record made by a
 * timer (no input record), or read from a repartition topic exchanged in memory, is named by its
 * timestamp instead. So two records of one input record that reach the same operator with the same
 * key (a flatMap emitting twice) are one id: both are dead-lettered on the replay.
 */
export class PoisonRecords {
  private readonly errors = new Map<string, { readonly error: unknown; readonly at: InputPosition | undefined }>();

  /**
   * @param unstableOffsets Input topics whose offsets are not the same on a replay: repartition
   * topics exchanged in memory (an offset there is a queue position, and the queue's interleaving
   * of upstream tasks follows fetch order). Their records are named by partition, key and
   * timestamp instead.
   */
  constructor(private readonly unstableOffsets: ReadonlySet<string> = new Set()) {}

  /** Where a record was read, when that place names it on a replay (else undefined: a timer's, an in-memory queue's). */
  positionOf(rec: { readonly topic: string | undefined; readonly partition: number | undefined; readonly offset: number | undefined }): InputPosition | undefined {
    const topic = rec.topic;
    if (topic === undefined || this.unstableOffsets.has(topic)) return undefined;
    return { topic, partition: rec.partition!, offset: rec.offset! };
  }

  /** The id of a record at an operator (its input record's place, or its timestamp, and its state key). */
  idOf(operator: string, rec: { readonly topic: string | undefined; readonly partition: number | undefined; readonly offset: number | undefined; readonly timestamp: number }, keyId: string): string {
    const topic = rec.topic;
    if (topic === undefined) return `${operator}\u0000timer\u0000${rec.timestamp}\u0000${keyId}`;
    const at = this.unstableOffsets.has(topic) ? `t${rec.timestamp}` : String(rec.offset);
    return `${operator}\u0000${topic}\u0000${rec.partition}\u0000${at}\u0000${keyId}`;
  }

  get size(): number {
    return this.errors.size;
  }

  add(id: string, error: unknown, at?: InputPosition): void {
    this.errors.set(id, { error, at });
  }

  /** The error the record threw, if it is a known poison record. */
  errorOf(id: string): unknown {
    return this.errors.get(id)?.error;
  }

  has(id: string): boolean {
    return this.errors.has(id);
  }

  /**
   * After a commit: records below the committed offsets are never read again. (Records named
   * without a position are kept: they are few, and forgetting one too early costs a rollback each
   * time it is met again.)
   */
  forgetCommitted(committed: (topic: string, partition: number) => number): void {
    for (const [id, e] of this.errors) if (e.at !== undefined && e.at.offset < committed(e.at.topic, e.at.partition)) this.errors.delete(id);
  }
}

export interface InputPosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/**
 * User code threw while it held cached state: the task's state may hold a half-applied record, so
 * the task must go back to its last commit (see PoisonRecords). Thrown out of Task.process (and the
 * other driving calls); the runtime and the test driver handle it, nothing else should catch it.
 */
export class RollbackRequiredError extends Error {
  readonly code = 'ROLLBACK_REQUIRED';
  constructor(
    readonly taskId: string,
    readonly operator: string,
    readonly id: string,
    readonly error: unknown,
    /** The failing record's place in its input, when that names it on a replay. */
    readonly at: InputPosition | undefined,
  ) {
    super(`task ${taskId}: user code in '${operator}' threw while holding cached state (${errorMessage(error)}); rolling back to the last commit`);
    this.name = 'RollbackRequiredError';
  }
}
