import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fsyncDir, fsyncDirSync } from './io.js';

/**
 * Replaces `path` with `data` so that after a crash the file holds either the old or the new bytes,
 * never a mix: write a temp file, fsync it, rename over, fsync the directory (without the last step
 * the rename itself may not survive a power cut).
 */
export async function writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.tmp`;
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    await fsyncDir(dirname(path));
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    throw e;
  }
}

/** The same, blocking: for close(), which must finish even when the event loop is about to stop. */
export function writeFileAtomicSync(path: string, data: string | Buffer): void {
  const tmp = `${path}.tmp`;
  try {
    const fd = openSync(tmp, 'w');
    try {
      const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      let done = 0;
      while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    fsyncDirSync(dirname(path));
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
