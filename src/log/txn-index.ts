import { closeSync, fstatSync, openSync, readFileSync, rmSync } from 'node:fs';
import { readInt64, writeInt64 } from '../records/int64.js';
import { errnoOf, syncFile, toStorageError, writeFully } from './io.js';

/**
 * An aborted transaction, as Kafka's transaction index stores it: the producer, the offsets of its
 * first record and of its abort marker, and the last stable offset right after the abort (the first
 * offset of the next open transaction, or the marker's offset + 1 when none was open).
 */
export interface AbortedTxn {
  producerId: number;
  firstOffset: number;
  lastOffset: number;
  lastStableOffset: number;
}

/** What a read_committed Fetch returns per aborted transaction (Kafka's FetchResponse.AbortedTransaction). */
export interface AbortedTransaction {
  producerId: number;
  firstOffset: number;
}

/** Kafka's layout: version int16, producerId int64, firstOffset int64, lastOffset int64, lastStableOffset int64. */
export const TXN_INDEX_ENTRY_SIZE = 34;
const VERSION = 0;

/**
 * A segment's `.txnindex`: the aborted transactions whose abort marker lives in that segment, in
 * marker order. Most segments have none, so the file exists only once an entry is written. Entries
 * are few and small: they are held in memory once loaded (lazily, at the first read_committed read
 * or cleaning that needs them). Appends go to the file at once and are fdatasynced with the segment.
 */
export class TxnIndex {
  path: string;
  private entries: AbortedTxn[] | null;
  private dirty = false;

  /** `empty`: a brand-new segment, nothing to load. */
  constructor(path: string, empty: boolean) {
    this.path = path;
    this.entries = empty ? [] : null;
  }

  get all(): readonly AbortedTxn[] {
    return this.loaded();
  }

  get isEmpty(): boolean {
    return this.loaded().length === 0;
  }

  private loaded(): AbortedTxn[] {
    if (this.entries === null) this.entries = readTxnIndex(this.path);
    return this.entries;
  }

  /** Adds an entry in memory and appends it to the file. A failed write throws a StorageError (the entry stays in memory). */
  append(entry: AbortedTxn): void {
    const entries = this.loaded();
    entries.push(entry);
    const buf = Buffer.allocUnsafe(TXN_INDEX_ENTRY_SIZE);
    buf.writeInt16BE(VERSION, 0);
    writeInt64(buf, 2, entry.producerId);
    writeInt64(buf, 10, entry.firstOffset);
    writeInt64(buf, 18, entry.lastOffset);
    writeInt64(buf, 26, entry.lastStableOffset);
    try {
      const fd = openSync(this.path, 'a+');
      try {
        // Append at a whole-entry boundary: a torn entry left by a crash is overwritten.
        const size = fstatSync(fd).size;
        writeFully(fd, buf, size - (size % TXN_INDEX_ENTRY_SIZE));
      } finally {
        closeSync(fd);
      }
    } catch (e) {
      throw toStorageError(`cannot append to ${this.path}`, e);
    }
    this.dirty = true;
  }

  /** Forgets every entry and removes the file (before recovery rebuilds the index from the log). */
  reset(): void {
    this.entries = [];
    this.dirty = false;
    rmSync(this.path, { force: true });
  }

  /** fdatasyncs the file if entries were appended since the last sync. */
  async sync(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    try {
      await syncFile(this.path);
    } catch (e) {
      if (errnoOf(e) === 'ENOENT') return;
      this.dirty = true;
      throw e;
    }
  }

  /**
   * Kafka's collectAbortedTxns: adds the transactions that overlap [fromOffset, upperBoundOffset) to
   * `out`; returns true when an entry shows that no transaction open before upperBoundOffset can be
   * found further on (its last stable offset is at or past the bound), so the search can stop.
   */
  collect(fromOffset: number, upperBoundOffset: number, out: AbortedTransaction[]): boolean {
    for (const e of this.loaded()) {
      if (e.lastOffset >= fromOffset && e.firstOffset < upperBoundOffset) out.push({ producerId: e.producerId, firstOffset: e.firstOffset });
      if (e.lastStableOffset >= upperBoundOffset) return true;
    }
    return false;
  }
}

/** Every entry of `index` overlapping [fromOffset, upperBoundOffset) (whole entries, for the cleaner). */
export function overlappingEntries(index: TxnIndex, fromOffset: number, upperBoundOffset: number, out: AbortedTxn[]): void {
  for (const e of index.all) if (e.lastOffset >= fromOffset && e.firstOffset < upperBoundOffset) out.push(e);
}

/** Reads a `.txnindex`; a missing file is empty, a torn last entry (a crash mid-append) is ignored. */
export function readTxnIndex(path: string): AbortedTxn[] {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return [];
    throw toStorageError(`cannot read ${path}`, e);
  }
  const out: AbortedTxn[] = [];
  for (let at = 0; at + TXN_INDEX_ENTRY_SIZE <= buf.length; at += TXN_INDEX_ENTRY_SIZE) {
    if (buf.readInt16BE(at) !== VERSION) break;
    try {
      out.push({
        producerId: readInt64(buf, at + 2),
        firstOffset: readInt64(buf, at + 10),
        lastOffset: readInt64(buf, at + 18),
        lastStableOffset: readInt64(buf, at + 26),
      });
    } catch {
      break; // garbage: recovery rebuilds the index after an unclean shutdown
    }
  }
  return out;
}
