import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { readInt64, writeInt64 } from '../records/int64.js';
import { readIndexFile, writeIndexEntries } from './index-file.js';
import { syncFile } from './io.js';

/** An int64 from an index file, or null when it is beyond 2^53 (only garbage is). */
function safeInt64(buf: Buffer, at: number): number | null {
  try {
    return readInt64(buf, at);
  } catch {
    return null;
  }
}

export const TIME_INDEX_ENTRY_SIZE = 12;

/**
 * The sparse time index of one segment: timestamp int64, (offset - baseOffset) int32, big-endian.
 *
 * An entry (T, o) promises: every record of this segment at an offset <= o has a timestamp <= T.
 * T is the largest timestamp seen so far when the entry was added and o the last offset of the batch
 * just appended, so the promise holds even when timestamps arrive out of order. Entries are added
 * only when T grows, so T is strictly increasing and binary search works. A final entry is added when
 * the segment stops being active, so the last entry's T is the segment's largest timestamp.
 */
export class TimeIndex {
  path: string;
  readonly baseOffset: number;
  private timestamps: Float64Array;
  private rels: Int32Array;
  private count = 0;
  private persisted = 0;
  private fileValid = false;

  constructor(path: string, baseOffset: number) {
    this.path = path;
    this.baseOffset = baseOffset;
    this.timestamps = new Float64Array(32);
    this.rels = new Int32Array(32);
  }

  get entryCount(): number {
    return this.count;
  }

  get lastTimestamp(): number {
    return this.count === 0 ? -1 : this.timestamps[this.count - 1]!;
  }

  maybeAppend(timestamp: number, offset: number): void {
    const n = this.count;
    const rel = offset - this.baseOffset;
    if (n > 0 && (timestamp <= this.timestamps[n - 1]! || rel < this.rels[n - 1]!)) return;
    if (n === this.timestamps.length) {
      const ts = new Float64Array(n * 2);
      ts.set(this.timestamps);
      this.timestamps = ts;
      const rs = new Int32Array(n * 2);
      rs.set(this.rels);
      this.rels = rs;
    }
    this.timestamps[n] = timestamp;
    this.rels[n] = rel;
    this.count = n + 1;
  }

  /**
   * The offset from which a scan for the first record with timestamp >= `target` may start: just
   * after the last entry whose T is below the target (everything up to it is older), else the
   * segment's base offset.
   */
  scanStartFor(target: number): number {
    const ts = this.timestamps;
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (ts[mid]! < target) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? this.baseOffset : this.baseOffset + this.rels[found]! + 1;
  }

  clear(): void {
    this.count = 0;
    this.persisted = 0;
    this.fileValid = false;
  }

  persist(): void {
    if (this.fileValid && this.persisted === this.count) return;
    const from = this.fileValid ? this.persisted : 0;
    const buf = Buffer.allocUnsafe((this.count - from) * TIME_INDEX_ENTRY_SIZE);
    for (let i = from, p = 0; i < this.count; i++, p += TIME_INDEX_ENTRY_SIZE) {
      writeInt64(buf, p, this.timestamps[i]!);
      buf.writeInt32BE(this.rels[i]!, p + 8);
    }
    try {
      writeIndexEntries(this.path, this.fileValid, buf, from, TIME_INDEX_ENTRY_SIZE);
    } catch (e) {
      this.fileValid = false;
      throw e;
    }
    this.persisted = this.count;
    this.fileValid = true;
  }

  sync(): Promise<void> {
    return syncFile(this.path);
  }

  /** Loads and checks the file; returns what is wrong, or null. `maxRel` bounds the offsets. */
  load(maxRel: number): string | null {
    const file = readIndexFile(this.path, TIME_INDEX_ENTRY_SIZE);
    if ('problem' in file) return file.problem;
    const { data, count: n } = file;
    const cap = Math.max(32, n);
    const timestamps = new Float64Array(cap);
    const rels = new Int32Array(cap);
    let lastTs = -Infinity;
    let lastRel = -1;
    for (let i = 0; i < n; i++) {
      const ts = safeInt64(data, i * TIME_INDEX_ENTRY_SIZE);
      const rel = data.readInt32BE(i * TIME_INDEX_ENTRY_SIZE + 8);
      if (ts === null || ts <= lastTs || rel < lastRel || rel > maxRel) {
        return `entry ${i} (${ts}, ${rel}) is out of order or out of range`;
      }
      timestamps[i] = ts;
      rels[i] = rel;
      lastTs = ts;
      lastRel = rel;
    }
    this.timestamps = timestamps;
    this.rels = rels;
    this.count = n;
    this.persisted = n;
    this.fileValid = true;
    return null;
  }

  /**
   * Just the last entry's timestamp, read without loading the index: at open a sealed segment's
   * largest timestamp (for retention and timestamp lookups) comes from here, as in Kafka.
   * Returns null when the file is missing or not whole entries.
   */
  static readLastTimestamp(path: string): { timestamp: number } | null {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return null;
    }
    try {
      const size = fstatSync(fd).size;
      if (size % TIME_INDEX_ENTRY_SIZE !== 0) return null;
      if (size === 0) return { timestamp: -1 };
      const last = Buffer.allocUnsafe(TIME_INDEX_ENTRY_SIZE);
      if (readSync(fd, last, 0, TIME_INDEX_ENTRY_SIZE, size - TIME_INDEX_ENTRY_SIZE) !== TIME_INDEX_ENTRY_SIZE) return null;
      const ts = safeInt64(last, 0);
      return ts === null ? null : { timestamp: ts };
    } finally {
      closeSync(fd);
    }
  }
}
