import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { StorageError } from './errors.js';
import { errnoOf } from './io.js';

export const LOCK_FILE = '.lock';

/** Data dirs open in this process: a pid check cannot tell two LogManagers of one process apart. */
const openHere = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoOf(e) === 'EPERM';
  }
}

/**
 * One LogManager per data directory, across processes: two writers on one log would interleave
 * batches and corrupt it. The lock file holds the owner's pid; a lock whose process is gone (a
 * crash, kill -9) is stale and taken over.
 */
export function acquireDataDirLock(dataDir: string): () => void {
  const dir = resolve(dataDir);
  if (openHere.has(dir)) throw new StorageError(`data directory ${dir} is already open in this process`);
  const path = join(dir, LOCK_FILE);
  try {
    writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
  } catch (e) {
    if (errnoOf(e) !== 'EEXIST') throw new StorageError(`cannot lock data directory ${dir}: ${String(e)}`, { cause: e });
    const owner = Number(readFileSync(path, 'utf8').trim());
    if (Number.isSafeInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
      throw new StorageError(`data directory ${dir} is in use by process ${owner}`);
    }
    writeFileSync(path, `${process.pid}\n`);
  }
  openHere.add(dir);
  return () => {
    openHere.delete(dir);
    rmSync(path, { force: true });
  };
}
