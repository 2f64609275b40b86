import { keyIdentity } from '../codec.js';
import type { Rec } from '../records.js';
import { Operator } from './operator.js';
import type { UserFn } from './user-fn.js';

interface Pending {
  readonly rec: Rec;
}

/**
 * mapAsync: starts at most `concurrency` calls at once; calls of one key run one after another
 * (a per-key queue), so results of a key leave in input order. Every call is counted with the
 * task (asyncStarted/asyncEnded): while any is in flight the task holds its watermark and
 * markers back and the runtime does not commit, so a batch's outputs are committed only after all
 * its calls resolved — exactly-once despite the asynchrony. One promise per record is inherent to
 * an asynchronous user function; the operator adds none.
 */
export class MapAsyncOperator extends Operator {
  private readonly queues = new Map<unknown, Pending[]>();
  private readonly ready: unknown[] = [];
  private inFlight = 0;

  constructor(
    name: string,
    private readonly fn: UserFn<Promise<unknown>>,
    private readonly concurrency: number,
  ) {
    super(name);
  }

  process(rec: Rec): void {
    const id = keyIdentity(rec.key);
    this.ctx.asyncStarted();
    const q = this.queues.get(id);
    if (q) {
      q.push({ rec });
      return;
    }
    this.queues.set(id, [{ rec }]);
    this.ready.push(id);
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < this.concurrency && this.ready.length > 0) {
      const id = this.ready.shift();
      const head = this.queues.get(id)![0]!;
      this.inFlight++;
      let p: Promise<unknown>;
      try {
        p = Promise.resolve(this.fn(head.rec.value, head.rec.key, head.rec));
      } catch (e) {
        p = Promise.reject(e);
      }
      p.then(
        (v) => this.done(id, head, true, v),
        (e: unknown) => this.done(id, head, false, e),
      );
    }
  }

  private done(id: unknown, head: Pending, ok: boolean, result: unknown): void {
    this.inFlight--;
    try {
      if (ok) this.forward(head.rec.with(head.rec.key, result));
      else this.ctx.deadLetter(head.rec, result, this.name);
    } catch (e) {
      this.ctx.asyncFailed(e);
    }
    const q = this.queues.get(id)!;
    q.shift();
    if (q.length === 0) this.queues.delete(id);
    else this.ready.push(id);
    this.pump();
    this.ctx.asyncEnded();
  }
}
