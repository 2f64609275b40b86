import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { errnoOf, writeFully } from './io.js';

/**
 * The file side of the offset and time indexes: both keep their entries in memory and append the
 * new ones to a file of fixed-size entries, which is rewritten whole when it may not match.
 */

/**
 * Writes `entries` (encoded) at entry `from` of the index file: appended when the file is valid,
 * else the file is rewritten from `from` = 0. On failure the file is removed, so a later load
 * finds it missing and rebuilds rather than trusting half an append.
 */
export function writeIndexEntries(path: string, fileValid: boolean, entries: Buffer, from: number, entrySize: number): void {
  try {
    const fd = openSync(path, fileValid ? 'a' : 'w');
    try {
      writeFully(fd, entries, from * entrySize);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    rmSync(path, { force: true });
    throw e;
  }
}

/** The index file's bytes, whole entries only; or what is wrong with it. */
export function readIndexFile(path: string, entrySize: number): { data: Buffer; count: number } | { problem: string } {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (e) {
    return { problem: errnoOf(e) === 'ENOENT' ? 'is missing' : `cannot be read (${errnoOf(e) ?? String(e)})` };
  }
  if (data.length % entrySize !== 0) return { problem: `has ${data.length} bytes, not a multiple of ${entrySize}` };
  return { data, count: data.length / entrySize };
}
