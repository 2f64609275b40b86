/**
 * Long-poll waiters of one partition: a fetch with nothing to return parks here until the high
 * watermark passes its offset, its timeout fires, or its signal aborts. Appends call notify(); it
 * costs one comparison when no waiter can be woken, so appends stay cheap with idle consumers.
 * Each waiter owns one timer; nothing polls.
 */
interface Waiter {
  offset: number;
  resolve: (dataAvailable: boolean) => void;
  reject: (reason: unknown) => void;
  timer: NodeJS.Timeout | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export class DataWaiters {
  private waiters: Waiter[] = [];
  /** Smallest offset anyone waits for, so notify() can return at once when nobody is due. */
  private minOffset = Infinity;

  get size(): number {
    return this.waiters.length;
  }

  /**
   * Resolves true when notify() reports an end beyond `offset`, false on timeout or close;
   * rejects with the signal's reason on abort.
   */
  wait(offset: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<boolean>((resolve, reject) => {
      const w: Waiter = { offset, resolve, reject, timer: undefined, signal, onAbort: undefined };
      if (Number.isFinite(timeoutMs)) {
        w.timer = setTimeout(() => {
          this.remove(w);
          this.settle(w);
          resolve(false);
        }, Math.max(0, timeoutMs));
      }
      if (signal !== undefined) {
        w.onAbort = () => {
          this.remove(w);
          this.settle(w);
          reject(signal.reason);
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.waiters.push(w);
      if (offset < this.minOffset) this.minOffset = offset;
    });
  }

  /** Wakes every waiter whose offset is below `end` (the new high watermark). */
  notify(end: number): void {
    if (end <= this.minOffset) return;
    const keep: Waiter[] = [];
    let min = Infinity;
    for (const w of this.waiters) {
      if (w.offset < end) {
        this.settle(w);
        w.resolve(true);
      } else {
        keep.push(w);
        if (w.offset < min) min = w.offset;
      }
    }
    this.waiters = keep;
    this.minOffset = min;
  }

  /** The partition is closing or being deleted: every waiter returns "no data". */
  closeAll(): void {
    const all = this.waiters;
    this.waiters = [];
    this.minOffset = Infinity;
    for (const w of all) {
      this.settle(w);
      w.resolve(false);
    }
  }

  private settle(w: Waiter): void {
    if (w.timer !== undefined) clearTimeout(w.timer);
    if (w.signal !== undefined && w.onAbort !== undefined) w.signal.removeEventListener('abort', w.onAbort);
  }

  private remove(w: Waiter): void {
    const i = this.waiters.indexOf(w);
    if (i >= 0) this.waiters.splice(i, 1);
    let min = Infinity;
    for (const x of this.waiters) if (x.offset < min) min = x.offset;
    this.minOffset = min;
  }
}
