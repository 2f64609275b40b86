import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { open as openFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyValueStoreFactory } from './kv-store.js';
import { LmdbStateEnvironment, type LmdbKeyValueStore } from './lmdb-store.js';

/**
 * Local state of one task on disk, and the local checkpoint that lets a restart restore only the
 * changelog tail.
 *
 * Layout: `<stateDir>/<applicationId>/<taskId>/` holds the task's LMDB environment (data.mdb,
 * lock.mdb; one named database per store), `.checkpoint` and `.lock`.
 *
 * `.checkpoint` is a small JSON file, `{"version":1,"flushSeq":n,"offsets":{"<store>":offset}}`,
 * replaced atomically (write a temporary file, fsync, rename, fsync the directory). An offset is
 * the first changelog offset the local state does NOT reflect: restore reads the store's
 * changelog partition from there. `flushSeq` is the sequence number of the store flush (LMDB
 * commit) the offsets describe; every flush stores its own sequence number in the LMDB
 * environment in the same atomic transaction as the data.
 *
 * ## The rule (Kafka Streams' rule under exactly-once, made precise by the flush sequence)
 *
 * On open, the local state is trusted, and each store restores only its changelog tail from its
 * checkpointed offset, when:
 *   - a readable `.checkpoint` exists, and
 *   - under exactly-once: its `flushSeq` equals the flush sequence on disk, i.e. the disk holds
 *     exactly the state the checkpoint describes.
 * Otherwise every store is wiped and restored from the start of its changelog:
 *   - no (or an unreadable) checkpoint: nothing says which changelog offset the disk reflects —
 *     a first start, or a crash before the first checkpoint; replaying the whole changelog over
 *     unknown local data would keep keys whose tombstones were compacted away. (Both guarantees.)
 *   - exactly-once and disk flushSeq != checkpoint flushSeq: the process stopped between a store
 *     flush and the checkpoint after the transaction commit — or the transaction aborted. The disk
 *     may hold writes of a transaction that never committed, which read_committed restore would
 *     never undo. This is Kafka Streams' "state may contain uncommitted writes: wipe and restore
 *     from scratch" (TaskCorruptedException). Because LMDB commits are atomic and our stores only
 *     commit in flush(), a crash at any other moment (while processing, between commits) leaves
 *     disk == checkpoint, and the restart restores only the tail, even under exactly-once.
 *   - at-least-once: a flush newer than the checkpoint is kept; its writes are also in the
 *     changelog tail after the checkpointed offsets (the flush precedes the commit), or belong to
 *     input that will be processed again (at-least-once allows that), so the tail restore is used.
 * A store with data on disk but no offset in the checkpoint (it was added since, or its changelog
 * had nothing) is cleared and restored from the start on its own.
 *
 * ## What the runtime calls, and when
 *
 * ```ts
 * const ts = await openTaskState(join(stateDir, applicationId, task.id), { eos });   // before new Task(...)
 * const task = new Task(plan, { ...env, storeFactory: ts.factory });
 * for (const s of task.stores)                                                   // restore
 *   task.restore(s.name, readChangelog(s.changelogTopic, partition, ts.checkpointOffsets.get(s.name) ?? 0));
 * await ts.checkpoint(endOffsetsOfTheChangelogs);                                // after restore: optional
 * loop:
 *   task.process(batch) ...
 *   await task.flush();              // 1. commits the task's LMDB transaction (+ fsync)
 *   await commitTransaction();       // 2. outputs, changelog records, input offsets
 *   await ts.checkpoint(offsets);    // 3. only after 2 succeeded; offsets = per store, the next
 *                                    //    changelog offset (e.g. the changelog partition's end
 *                                    //    offset after the commit: the task is its only writer)
 * on a failed/aborted commit under exactly-once: task.close(); await ts.close(); reopen (→ wiped)
 * on stop: task.close(); await ts.close();   // drops writes not flushed, releases the lock
 * ```
 * Never call `task.flush()` again between 1 and 3: the checkpoint names the last flush.
 */

export interface TaskStateOptions {
  /** Exactly-once processing: apply the wipe rule above. */
  readonly eos: boolean;
  /** fsync flushes and the checkpoint (default true); false survives kill -9, not a machine crash. */
  readonly sync?: boolean;
  /** Initial LMDB map size (bytes). */
  readonly mapSize?: number;
  /** Bound of the record cache in front of each store (see LmdbEnvironmentOptions). */
  readonly cacheMaxBytes?: number;
}

export type WipeReason = 'no-checkpoint' | 'unclean-eos';

export interface TaskState {
  readonly dir: string;
  /** Store factory for TaskEnvironment.storeFactory: an LMDB store per name, in this task's environment. */
  readonly factory: KeyValueStoreFactory;
  /** Per store: the first changelog offset not reflected on disk. Absent: restore from the start. */
  readonly checkpointOffsets: ReadonlyMap<string, number>;
  /** True when existing local state was deleted (and must be restored in full). */
  readonly wiped: boolean;
  /** Why the state was wiped, or undefined. */
  readonly wipeReason: WipeReason | undefined;
  /** Stores found on disk that had data and no checkpointed offset, cleared on open. */
  readonly clearedStores: readonly string[];
  /**
   * Records that the state on disk (as of the last flush) reflects the changelogs up to `offsets`
   * (per store, exclusive). Call after each successful commit; atomic.
   */
  checkpoint(offsets: ReadonlyMap<string, number> | Readonly<Record<string, number>>): Promise<void>;
  /** Drops unflushed writes, closes the LMDB environment and releases the directory lock. */
  close(): Promise<void>;
  /** @internal */
  readonly environment: LmdbStateEnvironment;
}

/** The task directory is in use by another live TaskState (this process or another). */
export class StateDirectoryLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly ownerPid: number,
  ) {
    super(`task state directory ${dir} is locked by process ${ownerPid}`);
    this.name = 'StateDirectoryLockedError';
  }
}

interface CheckpointFile {
  version: 1;
  flushSeq: number;
  offsets: Record<string, number>;
}

export const CHECKPOINT_FILE = '.checkpoint';
const LOCK_FILE = '.lock';

/** The task directory for a task: `<stateDir>/<applicationId>/<taskId>`. */
export function taskStateDir(stateDir: string, applicationId: string, taskId: string): string {
  return join(stateDir, applicationId, taskId);
}

/** Reads a task's checkpoint file; undefined when absent or unreadable. */
export function readCheckpoint(dir: string): CheckpointFile | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, CHECKPOINT_FILE), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const c = JSON.parse(text) as CheckpointFile;
    if (c.version !== 1 || !Number.isSafeInteger(c.flushSeq) || typeof c.offsets !== 'object' || c.offsets === null) return undefined;
    for (const v of Object.values(c.offsets)) if (!Number.isSafeInteger(v) || v < 0) return undefined;
    return c;
  } catch {
    return undefined;
  }
}

/** Replaces the checkpoint file atomically (and durably when `sync`). */
export async function writeCheckpoint(dir: string, c: CheckpointFile, sync = true): Promise<void> {
  const path = join(dir, CHECKPOINT_FILE);
  const tmp = `${path}.${process.pid}.tmp`;
  const fh = await openFile(tmp, 'w');
  try {
    await fh.writeFile(JSON.stringify(c));
    if (sync) await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  if (sync) {
    const d = await openFile(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  }
}

/** Opens a task's local state; see the module doc for the rule and the call sequence. */
export async function openTaskState(dir: string, options: TaskStateOptions): Promise<TaskState> {
  mkdirSync(dir, { recursive: true });
  const unlock = lockDir(dir);
  try {
    return await openLocked(dir, options, unlock);
  } catch (e) {
    unlock();
    throw e;
  }
}

async function openLocked(dir: string, options: TaskStateOptions, unlock: () => void): Promise<TaskState> {
  const sync = options.sync ?? true;
  const envOptions = {
    sync,
    ...(options.mapSize ? { mapSize: options.mapSize } : {}),
    ...(options.cacheMaxBytes !== undefined ? { cacheMaxBytes: options.cacheMaxBytes } : {}),
  };
  const checkpoint = readCheckpoint(dir);
  let env = new LmdbStateEnvironment(dir, envOptions);
  let wipeReason: WipeReason | undefined;
  const hasData = env.flushSeq > 0 || env.storeNames().some((name) => env.store(name).size > 0);
  if (!checkpoint) {
    if (hasData) wipeReason = 'no-checkpoint';
  } else if (options.eos && checkpoint.flushSeq !== env.flushSeq) {
    wipeReason = 'unclean-eos';
  }
  let offsets = new Map<string, number>();
  const cleared: string[] = [];
  if (wipeReason) {
    // Delete the environment's files (not the directory: it holds the lock) and start afresh.
    // Drop the checkpoint first: a crash in the middle leaves no checkpoint, so the next open wipes.
    await env.close();
    rmSync(join(dir, CHECKPOINT_FILE), { force: true });
    for (const f of readdirSync(dir)) if (f !== LOCK_FILE) rmSync(join(dir, f), { recursive: true, force: true });
    env = new LmdbStateEnvironment(dir, envOptions);
  } else if (checkpoint) {
    offsets = new Map(Object.entries(checkpoint.offsets));
    for (const name of env.storeNames()) {
      if (offsets.has(name)) continue;
      const s = env.store(name);
      if (s.size > 0) {
        env.clearStore(name);
        cleared.push(name);
      }
      s.close();
    }
  }
  const environment = env;
  let closed = false;
  let lastCheckpoint: Record<string, number> = checkpoint && !wipeReason ? { ...checkpoint.offsets } : {};
  return {
    dir,
    environment,
    factory: (name: string): LmdbKeyValueStore => environment.store(name),
    checkpointOffsets: offsets,
    wiped: wipeReason !== undefined,
    wipeReason,
    clearedStores: cleared,
    async checkpoint(o) {
      if (closed) throw new Error(`task state ${dir} is closed`);
      const entries = o instanceof Map ? [...o.entries()] : Object.entries(o);
      // Stores not named keep their previous offset: their state did not change.
      const merged = { ...lastCheckpoint };
      for (const [k, v] of entries) merged[k] = v;
      await writeCheckpoint(dir, { version: 1, flushSeq: environment.flushSeq, offsets: merged }, sync);
      lastCheckpoint = merged;
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await environment.close();
      } finally {
        unlock();
      }
    },
  };
}

// ------------------------------------------------------------------------------------------------
// Directory lock: `.lock` holds "<pid> <boot id>". A lock whose process is gone (or from an earlier
// boot) is stale and taken over. Within a process, a directory can be open once.

const lockedHere = new Set<string>();

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockDir(dir: string): () => void {
  if (lockedHere.has(dir)) throw new StateDirectoryLockedError(dir, process.pid);
  const path = join(dir, LOCK_FILE);
  const me = `${process.pid} ${bootId()}`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, me);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      lockedHere.add(dir);
      return () => {
        lockedHere.delete(dir);
        try {
          if (readFileSync(path, 'utf8') === me) unlinkSync(path);
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let owner = '';
    try {
      owner = readFileSync(path, 'utf8');
    } catch {
      continue; // released meanwhile
    }
    const [pidText, boot] = owner.split(' ');
    const pid = Number(pidText);
    if (Number.isInteger(pid) && pid > 0 && boot === bootId() && alive(pid) && owner !== me) {
      throw new StateDirectoryLockedError(dir, pid);
    }
    // Stale (dead owner, other boot, garbage, or this process after a close that did not unlock):
    // move it aside atomically, so that of two processes breaking it only one succeeds.
    try {
      renameSync(path, `${path}.stale.${process.pid}`);
      rmSync(`${path}.stale.${process.pid}`, { force: true });
    } catch {
      /* someone else broke it first: retry */
    }
  }
  if (existsSync(path)) throw new StateDirectoryLockedError(dir, Number(readFileSync(path, 'utf8').split(' ')[0]));
  throw new Error(`could not lock task state directory ${dir}`);
}
