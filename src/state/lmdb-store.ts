import { ABORT, open, type Database, type RootDatabase } from 'lmdb';
import type { ChangelogBatch, ChangelogRecord } from './changelog.js';
import type { KeyValueEntry, KeyValueStore, RestoreBatchOptions } from './kv-store.js';
import { DEFAULT_CACHE_MAX_BYTES } from './record-cache.js';

/**
 * The on-disk KeyValueStore, on LMDB (lmdb-js): one LMDB environment per task state directory,
 * one named database per store.
 *
 * Writes and read-your-writes. The environment keeps one LMDB write transaction open from the
 * first write after a flush until the next `flush()` (lmdb-js keeps a `transactionSync` open while
 * its callback's promise is pending). Every put and delete goes into that transaction
 * synchronously, and every get and range of every store of the task reads through it, so a task
 * sees its own uncommitted writes, and range scans see them in key order. `flush()` commits the
 * transaction — one LMDB commit per task commit, the batching — and, unless `sync: false`, waits
 * until it is on disk. Nothing reaches the committed on-disk state between flushes: LMDB is
 * copy-on-write, so a crash in the middle of an interval leaves exactly the state of the last
 * flush. Each flush commit also stores a flush sequence number (in the same LMDB transaction),
 * which the local checkpoint (local-checkpoint.ts) compares with its own to know whether the disk
 * holds writes the checkpoint does not describe.
 *
 * Key order. LMDB compares keys with memcmp (shorter first on a common prefix): unsigned
 * lexicographic byte order, the order of `Buffer.compare` and of the in-memory store. LMDB has
 * no empty key, and the engine uses one (the task watermark), so every key is stored behind one
 * 0x00 byte — which keeps the order — and keys may be up to MAX_KEY_BYTES long. The prefix is
 * written and stripped by lmdb-js's key encoder hooks (PREFIXED_KEYS), where lmdb-js copies the
 * key anyway: a key read from a range is one Buffer, not a copy plus a view without the prefix.
 *
 * Restores are the exception: `restoreBatch` hands restored records to lmdb-js's asynchronous
 * writes, applied on its write thread while the restore decodes the next batch (see
 * inAsyncRestore); until `restoreSettled()` resolves, the environment's stores refuse reads and
 * writes outside a restore (StateRestorePendingError), and `flush()` settles first.
 *
 * Iterating while writing. A range iterator continues after the key it returned last, wherever
 * that is now, as the in-memory store does: when any write (or a flush) happened since the last
 * step, it re-seeks to the first key after the last one returned, instead of trusting a cursor
 * that LMDB may have moved.
 *
 * Entries returned by get and range are fresh copies; the caller may keep them.
 */

/** LMDB's key limit in lmdb-js (1978 bytes) less the prefix byte. */
export const MAX_KEY_BYTES = 1977;

/** lmdb-js transaction flags: abortable | synchronous commit | no fsync in the commit (we sync separately). */
const TXN_FLAGS = 0x1 | 0x2 | 0x10000;
/** Restore writes this many records per LMDB transaction. */
const RESTORE_CHUNK = 50_000;
/**
 * restoreBatch commits its open transaction once it holds this many records. Why large: LMDB
 * copies every page a transaction touches once (copy-on-write), and a changelog's keys land all
 * over the tree, so small transactions copy the same leaf pages again and again; one commit per
 * fetched batch (~100K records) spent most of a 1M-key restore in page copies. Why bounded: the
 * dirty pages of an open transaction are held in memory.
 */
const RESTORE_TXN_RECORDS = 1_000_000;

/** Bytes of one slab that values written on lmdb-js's write thread are copied into (see AsyncRestore). */
const RESTORE_SLAB = 64 * 1024;

const META_DB = 'm:meta';
const FLUSH_SEQ_KEY = Buffer.from('flushSeq');
const storeDbName = (store: string) => `s:${store}`;

/** A store was read or written outside a restore while restored records were still being written. */
export class StateRestorePendingError extends Error {
  readonly code = 'STATE_RESTORE_PENDING';
  constructor(readonly store: string) {
    super(`state store '${store}': used before its restore settled (await restoreSettled() after restoreBatch)`);
    this.name = 'StateRestorePendingError';
  }
}

export class StateKeyTooLargeError extends Error {
  constructor(
    readonly store: string,
    readonly bytes: number,
  ) {
    super(`state store '${store}': a key of ${bytes} bytes exceeds the on-disk store's limit of ${MAX_KEY_BYTES}`);
    this.name = 'StateKeyTooLargeError';
  }
}

export interface LmdbEnvironmentOptions {
  /**
   * true (default): flush() returns once the commit is on disk (fsync), so a machine crash cannot
   * leave the state behind a checkpoint. false: the commit is in the OS page cache only — safe
   * against a process crash (kill -9), not a machine crash; for tests and benchmarks.
   */
  readonly sync?: boolean;
  /** Initial LMDB map size in bytes (lmdb-js grows it as needed). */
  readonly mapSize?: number;
  /**
   * Bound of the record cache operators keep in front of each store (estimated bytes; see
   * record-cache.ts). Default DEFAULT_CACHE_MAX_BYTES. Infinity: unbounded (the whole state in the heap too).
   */
  readonly cacheMaxBytes?: number;
}

/**
 * One task's LMDB environment: the open write transaction shared by its stores, the flush
 * sequence, and the stores. Made by openTaskState (local-checkpoint.ts); use that.
 */
export class LmdbStateEnvironment {
  readonly path: string;
  private readonly root: RootDatabase<Buffer, Buffer>;
  private readonly meta: Database<Buffer, Buffer>;
  private readonly sync: boolean;
  /** @internal */ readonly cacheMaxBytes: number;
  private readonly stores = new Map<string, LmdbKeyValueStore>();
  /**
   * Ends the open write transaction: lmdb-js's transactionSync keeps a transaction open while its
   * callback's result is a pending thenable, and finishes it (commit, or abort for ABORT) when the
   * thenable resolves. Ours resolves synchronously when called, so commit and abort are synchronous.
   */
  private finish: ((result: unknown) => unknown) | undefined;
  private closed = false;
  /** Records restoreBatch wrote into the open transaction. */
  private restoredInTxn = 0;
  /** Restored records handed to lmdb-js's write thread and not known to be committed yet. */
  private readonly pending = new AsyncRestore();
  /** @internal Inside restoreBatch (stores may be read and written while restored records are pending). */
  restoring = 0;
  /** @internal Inside a restoreBatch whose writes go to lmdb-js's write thread (puts and deletes too). */
  restoringAsync = false;
  /** @internal Bumped by every write, commit and abort: tells iterators to re-seek. */
  mods = 0;
  /** The flush sequence of the last committed flush (0 for a new environment). */
  flushSeq: number;

  constructor(path: string, options: LmdbEnvironmentOptions = {}) {
    this.path = path;
    this.sync = options.sync ?? true;
    this.cacheMaxBytes = options.cacheMaxBytes ?? DEFAULT_CACHE_MAX_BYTES;
    this.root = open<Buffer, Buffer>({
      path,
      maxDbs: 1000,
      keyEncoding: 'binary',
      encoding: 'binary',
      noSync: !this.sync,
      ...(options.mapSize ? { mapSize: options.mapSize } : {}),
    });
    this.meta = this.root.openDB<Buffer, Buffer>(META_DB, { keyEncoding: 'binary', encoding: 'binary' });
    const seq = this.meta.get(FLUSH_SEQ_KEY);
    this.flushSeq = seq ? Number(seq.readBigUInt64BE(0)) : 0;
  }

  /** The named stores that exist on disk (from earlier runs), by store name. */
  storeNames(): string[] {
    const names: string[] = [];
    for (const k of this.root.getKeys({})) {
      // lmdb-js stores database names NUL-terminated.
      const name = Buffer.from(k as Uint8Array).toString('utf8').replace(/\0$/, '');
      if (name.startsWith('s:')) names.push(name.slice(2));
    }
    return names;
  }

  /** Opens (or creates) the store `name`; one instance per name. */
  store(name: string): LmdbKeyValueStore {
    this.checkOpen();
    let s = this.stores.get(name);
    if (!s || s.isClosed) {
      const db = this.root.openDB<Buffer, Buffer>(storeDbName(name), STORE_DB_OPTIONS);
      s = new LmdbKeyValueStore(name, db, this);
      this.stores.set(name, s);
    }
    return s;
  }

  /** Deletes every entry of store `name` (committed at once). */
  clearStore(name: string): void {
    this.checkOpen();
    const db = this.root.openDB<Buffer, Buffer>(storeDbName(name), STORE_DB_OPTIONS);
    this.inTxn(() => db.clearSync());
  }

  /** True when a write transaction holds writes not yet flushed. */
  get hasUnflushedWrites(): boolean {
    return this.finish !== undefined;
  }

  /** @internal Called by the stores before each write. */
  beginWrite(): void {
    this.checkOpen();
    this.mods++;
    if (this.finish) return;
    const pending = {
      then: (onResult: (r: unknown) => unknown) => {
        this.finish = onResult;
      },
    };
    this.root.transactionSync(() => pending as unknown as Promise<void>, TXN_FLAGS);
    if (!this.finish) throw new Error('lmdb-js did not keep the write transaction open');
  }

  /**
   * Commits the open write transaction (with the next flush sequence number) and, when syncing,
   * waits until it is on disk. The commit itself is synchronous: writes made while the fsync is
   * under way go to a new transaction. Afterwards `flushSeq` names the state on disk.
   */
  async flush(): Promise<void> {
    if (this.closed) return;
    // Restored records still on lmdb-js's write thread are on disk before a flush that a
    // checkpoint names (a standby checkpoints after restoring, without restoreSettled()).
    if (this.pending.active) await this.settleRestore();
    if (!this.finish) return;
    const next = this.flushSeq + 1;
    const seq = Buffer.alloc(8);
    seq.writeBigUInt64BE(BigInt(next), 0);
    this.meta.putSync(FLUSH_SEQ_KEY, seq);
    const finish = this.finish;
    this.finish = undefined;
    this.restoredInTxn = 0;
    this.mods++;
    finish(true); // commits (throws if the commit fails; the transaction is then gone)
    this.flushSeq = next;
    if (this.sync) await this.fsync();
  }

  /** Drops the writes since the last flush (they never reach the disk). */
  abort(): void {
    if (!this.finish) return;
    const finish = this.finish;
    this.finish = undefined;
    this.restoredInTxn = 0;
    this.mods++;
    finish(ABORT);
  }

  /** Aborts unflushed writes and closes the environment. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.abort();
    this.closed = true;
    for (const s of this.stores.values()) s.markClosed();
    await this.root.close();
  }

  /**
   * @internal Runs a restore batch's writes in the open write transaction, opening one if needed,
   * and commits it once restores put `RESTORE_TXN_RECORDS` records in it. That commit takes no
   * flush sequence number: restored records are committed changelog records, so a crash after it
   * leaves the disk at the checkpoint's state plus a prefix of the tail the checkpoint names,
   * and replaying the tail from the checkpointed offset again gives the same state. What is left
   * open is committed by the next flush (the task's first commit), or dropped by close().
   */
  inRestoreTxn(fn: () => number): void {
    this.beginWrite();
    this.restoredInTxn += fn();
    if (this.restoredInTxn < RESTORE_TXN_RECORDS) return;
    const finish = this.finish!;
    this.finish = undefined;
    this.restoredInTxn = 0;
    this.mods++;
    finish(true);
  }

  /**
   * @internal Runs a restore batch's writes on lmdb-js's write thread (async puts: lmdb-js encodes
   * each write into its instruction buffer here, and its write thread applies them, in order, in
   * one transaction per event-loop turn): the B-tree work of a restore runs on another core while
   * this thread decodes the next batch. Why only restores: nothing reads the written records
   * until settleRestore() (a deriver that reads takes the synchronous path, restoreBatch's
   * `immediate`), and committing a prefix of restored records is safe (see inRestoreTxn).
   */
  inAsyncRestore(fn: (pending: AsyncRestore) => void): void {
    this.checkOpen();
    this.mods++;
    this.restoring++;
    this.restoringAsync = true;
    try {
      fn(this.pending);
    } finally {
      this.restoring--;
      this.restoringAsync = false;
    }
  }

  /** @internal Runs fn as a restore batch (stores may be used while restored records are pending). */
  inSyncRestore(fn: () => number): void {
    this.restoring++;
    try {
      this.inRestoreTxn(fn);
    } finally {
      this.restoring--;
    }
  }

  /** @internal An async restore write (see inAsyncRestore): the value is copied, as lmdb-js reads it later. */
  asyncPut(db: Database<Buffer, Buffer>, key: Buffer, value: Buffer): void {
    this.pending.track(db.put(key, this.pending.copy(value)));
  }

  /** @internal An async restore delete (see inAsyncRestore). */
  asyncRemove(db: Database<Buffer, Buffer>, key: Buffer): void {
    this.pending.track(db.remove(key));
  }

  /** @internal Throws unless the store may be used now: no restored records pending, or inside a restore. */
  checkSettled(store: string): void {
    if (this.pending.active && this.restoring === 0) throw new StateRestorePendingError(store);
  }

  /**
   * Resolves once every restored record handed to lmdb-js's write thread is committed. An open
   * synchronous transaction holds LMDB's write lock, which the write thread waits for: it is
   * committed first (it holds restored records only — writes outside a restore throw while
   * records are pending — so, as in inRestoreTxn, without a flush sequence number).
   */
  async settleRestore(): Promise<void> {
    if (!this.pending.active) return;
    if (this.finish) {
      const finish = this.finish;
      this.finish = undefined;
      this.restoredInTxn = 0;
      finish(true);
    }
    try {
      await this.pending.settled();
    } finally {
      this.mods++;
    }
  }

  /** @internal Runs fn in the open write transaction, or in its own committed one. */
  inTxn(fn: () => void): void {
    this.mods++;
    if (this.finish) fn();
    else this.root.transactionSync(fn, TXN_FLAGS);
  }

  private fsync(): Promise<void> {
    return new Promise((resolve, reject) => {
      (this.root as unknown as { sync(cb: (e?: unknown) => void): void }).sync((e) => (e ? reject(e) : resolve()));
    });
  }

  private checkOpen(): void {
    if (this.closed) throw new Error(`state environment ${this.path} is closed`);
  }
}

export class LmdbKeyValueStore implements KeyValueStore {
  readonly name: string;
  private readonly db: Database<Buffer, Buffer>;
  private readonly env: LmdbStateEnvironment;
  private closed = false;

  /** @internal Use LmdbStateEnvironment.store (via openTaskState). */
  constructor(name: string, db: Database<Buffer, Buffer>, env: LmdbStateEnvironment) {
    this.name = name;
    this.db = db;
    this.env = env;
  }

  /** Operators cache at most this much decoded state in front of the store: the rest stays on disk. */
  get cacheMaxBytes(): number {
    return this.env.cacheMaxBytes;
  }

  /** Number of entries, including unflushed writes (an LMDB stat: cheap, not free). */
  get size(): number {
    this.checkOpen();
    return (this.db.getStats() as { entryCount: number }).entryCount;
  }

  get(key: Buffer): Buffer | undefined {
    this.checkOpen();
    this.env.checkSettled(this.name);
    const v = this.db.getBinary(this.checkKey(key));
    return v === undefined ? undefined : (v as Buffer);
  }

  put(key: Buffer, value: Buffer): void {
    this.checkOpen();
    this.checkKey(key);
    const env = this.env;
    if (env.restoringAsync) {
      // A deriver's write during an async restore: in order with the restored records.
      env.asyncPut(this.db, key, value);
      return;
    }
    env.checkSettled(this.name);
    env.beginWrite();
    this.db.putSync(key, value);
  }

  delete(key: Buffer): boolean {
    this.checkOpen();
    this.checkKey(key);
    const env = this.env;
    if (env.restoringAsync) {
      // Whether the key was there is not known before the write thread applied it: a deriver's
      // delete of an entry it derived (nothing logs it, so the answer does not matter).
      env.asyncRemove(this.db, key);
      return true;
    }
    env.checkSettled(this.name);
    env.beginWrite();
    return this.db.removeSync(key);
  }

  *range(from: Buffer | undefined, to: Buffer | undefined): IterableIterator<KeyValueEntry> {
    this.checkOpen();
    this.env.checkSettled(this.name);
    // Copies of the bounds: lmdb-js encodes them again whenever it repositions the cursor.
    const end = to === undefined ? undefined : Buffer.from(this.checkKey(to));
    let start: Buffer | undefined = from === undefined ? undefined : Buffer.from(this.checkKey(from));
    let exclusiveStart = false;
    for (;;) {
      if (start !== undefined && end !== undefined && Buffer.compare(start, end) >= 0) return;
      const mods = this.env.mods;
      const it = this.db.getRange({ start, end, exclusiveStart })[Symbol.iterator]();
      try {
        for (;;) {
          const r = it.next();
          if (r.done) return;
          // lmdb-js's own { key, value } object: the key without its prefix (PREFIXED_KEYS), both fresh copies.
          const e = r.value as KeyValueEntry;
          const k = e.key;
          yield e;
          if (this.closed) return;
          if (this.env.mods !== mods) {
            // Something was written, or the transaction changed: continue after k from a new cursor.
            start = k;
            exclusiveStart = true;
            break;
          }
        }
      } finally {
        it.return?.();
      }
    }
  }

  all(): IterableIterator<KeyValueEntry> {
    return this.range(undefined, undefined);
  }

  /**
   * Applies changelog records in order. Outside a write transaction (the usual case: restore runs
   * before processing) they are committed in chunks, so restoring a large changelog holds no large
   * transaction; the runtime writes the checkpoint after the restore (or the next commit does).
   */
  restore(records: Iterable<ChangelogRecord>): void {
    this.checkOpen();
    let chunk: ChangelogRecord[] = [];
    const apply = () => {
      const batch = chunk;
      chunk = [];
      this.env.inTxn(() => {
        for (const r of batch) {
          const k = this.checkKey(r.key);
          if (r.value === null) this.db.removeSync(k);
          else this.db.putSync(k, r.value);
        }
      });
    };
    for (const r of records) {
      chunk.push(r);
      if (chunk.length >= RESTORE_CHUNK) apply();
    }
    if (chunk.length > 0) apply();
  }

  /**
   * Applies one fetched batch of changelog records in the environment's open write transaction,
   * which stays open across batches up to RESTORE_TXN_RECORDS records (see inRestoreTxn): keys
   * are encoded by lmdb-js (PREFIXED_KEYS), which copies keys and values at the call, so the
   * batch's views are never copied in JavaScript.
   */
  restoreBatch(batch: ChangelogBatch, options?: RestoreBatchOptions): void {
    this.checkOpen();
    const db = this.db;
    const env = this.env;
    if (options?.immediate) {
      env.inSyncRestore(() => {
        let n = 0;
        batch((key, value) => {
          const k = this.checkKey(key);
          if (value === null) db.removeSync(k);
          else db.putSync(k, value);
          n++;
        });
        return n;
      });
      return;
    }
    env.inAsyncRestore(() => {
      batch((key, value) => {
        const k = this.checkKey(key);
        if (value === null) env.asyncRemove(db, k);
        else env.asyncPut(db, k, value);
      });
    });
  }

  /** Resolves once the restored records are in the store (see LmdbStateEnvironment.settleRestore). */
  restoreSettled(): Promise<void> {
    return this.env.settleRestore();
  }

  /** Commits the task's open LMDB transaction (shared by its stores) and syncs it; see the class doc. */
  flush(): Promise<void> {
    return this.env.flush();
  }

  /** Closes this store handle; the environment (and its open transaction) is closed by the task state. */
  close(): void {
    this.closed = true;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** @internal */
  markClosed(): void {
    this.closed = true;
  }

  private checkOpen(): void {
    if (this.closed) throw new Error(`state store '${this.name}' is closed`);
  }

  /** The key, after checking that it fits in an LMDB key with its prefix. */
  private checkKey(key: Buffer): Buffer {
    if (key.length > MAX_KEY_BYTES) throw new StateKeyTooLargeError(this.name, key.length);
    return key;
  }
}

/** A slab values are copied into, with lmdb-js's marks of the value's place in it (see AsyncRestore.copy). */
type MarkedSlab = Buffer & { start: number; end: number };

/**
 * The restored records an environment handed to lmdb-js's write thread: the promise of the last
 * write (lmdb-js commits in order, so it settles last), the first failure, and the slabs their
 * values are copied into.
 */
class AsyncRestore {
  private last: PromiseLike<unknown> | undefined;
  private failure: { error: unknown } | undefined;
  private slab: MarkedSlab | undefined;

  get active(): boolean {
    return this.last !== undefined;
  }

  /** Remembers a write's promise; lmdb-js gives the writes of one transaction the same one. */
  track(p: PromiseLike<unknown>): void {
    if (p === this.last) return;
    this.last = p;
    // Every transaction's failure is caught (not an unhandled rejection); the first is reported.
    Promise.resolve(p).catch((error: unknown) => {
      this.failure ??= { error };
    });
  }

  /**
   * The value as lmdb-js's write thread will read it: the write records the address of the
   * value's bytes and reads them later, and restore batches' values are views of fetched buffers
   * valid during the call only. Copied into a shared slab, handed over as the slab itself with
   * lmdb-js's `start`/`end` marks (read at the call), so no Buffer is made per value; lmdb-js
   * keeps the slab alive until the write is done.
   */
  copy(value: Buffer): Buffer {
    const n = value.length;
    if (n > RESTORE_SLAB >>> 3) return Buffer.from(value);
    let slab = this.slab;
    if (slab === undefined || slab.end + n > RESTORE_SLAB) {
      slab = this.slab = Object.assign(Buffer.allocUnsafeSlow(RESTORE_SLAB), { start: 0, end: 0 });
    }
    const at = slab.end;
    slab.set(value, at);
    slab.start = at;
    slab.end = at + n;
    return slab;
  }

  /** Resolves once every tracked write is committed; rejects with the first failure. */
  async settled(): Promise<void> {
    const last = this.last;
    try {
      await last;
    } catch {
      // reported below, as the first failure
    }
    if (this.last === last) {
      this.last = undefined;
      this.slab = undefined;
    }
    const failure = this.failure;
    this.failure = undefined;
    if (failure) throw failure.error;
  }
}

const Uint8ArraySlice = Uint8Array.prototype.slice;

/**
 * lmdb-js's key encoder hooks for the stores' databases: on disk a key is 0x00 + the store key (see
 * the class doc). lmdb-js calls writeKey to copy a key into its own buffers (puts, gets, range
 * bounds) and readKey to copy one out of its cursor buffer, so adding and stripping the prefix
 * there costs no copy or Buffer of our own.
 */
const PREFIXED_KEYS = {
  writeKey(key: Uint8Array, target: Uint8Array, start: number): number {
    target[start] = 0;
    target.set(key, start + 1);
    return start + 1 + key.length;
  },
  readKey(source: Uint8Array, start: number, end: number): Buffer {
    // A copy (lmdb-js reuses `source`), a Buffer because `source` is one.
    return Uint8ArraySlice.call(source, start + 1, end) as Buffer;
  },
};
const STORE_DB_OPTIONS = { keyEncoder: PREFIXED_KEYS, encoding: 'binary' } as const;
