/**
 * Group commit for fsync 'always': an append's bytes go to the file at once, and its promise waits
 * for the next fdatasync. One sync covers every append that was written before it started, so under
 * load N queued appends cost one fdatasync instead of N, and the event loop never blocks on the disk.
 *
 * The first append of a burst schedules the sync with setImmediate rather than starting it at once,
 * so every append made in the same turn of the event loop shares it.
 */
interface Pending<T> {
  value: T;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
}

export class GroupCommit<T> {
  private queue: Pending<T>[] = [];
  private running = false;
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];
  private readonly sync: () => Promise<void>;
  /** How many syncs ran: lets tests check that appends were grouped. */
  syncCount = 0;

  constructor(sync: () => Promise<void>) {
    this.sync = sync;
  }

  /** Resolves with `value` once a sync that started after this call has completed. */
  enqueue(value: T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ value, resolve, reject });
      if (!this.running && !this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.run());
      }
    });
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Resolves when nothing is queued and no sync is running. */
  drain(): Promise<void> {
    if (!this.running && !this.scheduled && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async run(): Promise<void> {
    this.scheduled = false;
    this.running = true;
    while (this.queue.length > 0) {
      const group = this.queue;
      this.queue = [];
      try {
        this.syncCount++;
        await this.sync();
        for (const p of group) p.resolve(p.value);
      } catch (e) {
        for (const p of group) p.reject(e);
      }
    }
    this.running = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
