import { closeSync, fdatasync, fsync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { StorageError } from './errors.js';

/** The system error code (ENOSPC, EIO, ...) of a failed fs call, if it has one. */
export function errnoOf(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e) {
    const code = (e as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

export function toStorageError(what: string, e: unknown): StorageError {
  if (e instanceof StorageError) return e;
  const errno = errnoOf(e);
  const why = e instanceof Error ? e.message : String(e);
  return new StorageError(`${what}: ${why}`, errno === undefined ? { cause: e } : { cause: e, errno });
}

/**
 * pwrite until every byte is written. A regular file can take a short write when the disk fills or
 * RLIMIT_FSIZE is reached; the next call then throws ENOSPC / EFBIG, which the caller handles by
 * cutting the file back.
 */
export function writeFully(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) {
    const n = writeSync(fd, buf, done, buf.length - done, position + done);
    if (n <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
    done += n;
  }
}

/** pread until `length` bytes or end of file; returns how many were read. */
export function readFully(fd: number, buf: Buffer, offset: number, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, offset + done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** fdatasync on the libuv pool, so a durable append never blocks the event loop. */
export function fdatasyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fdatasync(fd, (err) => (err ? reject(err) : resolve()));
  });
}

export function fsyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fsync(fd, (err) => (err ? reject(err) : resolve()));
  });
}

/** A rename or unlink is durable only once its directory is synced. */
export function fsyncDirSync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  const fd = openSync(dir, 'r');
  try {
    await fsyncAsync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Opens `path`, fdatasyncs it off the event loop, closes it. For files the log does not keep open. */
export async function syncFile(path: string): Promise<void> {
  const fd = openSync(path, 'r+');
  try {
    await fdatasyncAsync(fd);
  } finally {
    closeSync(fd);
  }
}
