import { readIndexFile, writeIndexEntries } from './index-file.js';
import { syncFile } from './io.js';

export const OFFSET_INDEX_ENTRY_SIZE = 8;

/**
 * The sparse offset index of one segment: (offset - baseOffset) int32, file position int32, both
 * big-endian, one entry per `index.interval.bytes` of log. Lookups run on the in-memory copy (two
 * int32 per entry, no objects); the file only lets a restart skip rescanning the segment.
 *
 * The file trails memory: entries are appended to it on flush, roll and close. A file that is short
 * is still correct (just sparser); one that is torn or garbled fails `load` and is rebuilt.
 */
export class OffsetIndex {
  path: string;
  readonly baseOffset: number;
  private entries: Int32Array;
  private count = 0;
  private persisted = 0;
  /** False when the file may not match the first `persisted` entries: the next persist rewrites it. */
  private fileValid = false;

  constructor(path: string, baseOffset: number) {
    this.path = path;
    this.baseOffset = baseOffset;
    this.entries = new Int32Array(32);
  }

  get entryCount(): number {
    return this.count;
  }

  append(offset: number, position: number): void {
    const rel = offset - this.baseOffset;
    const n = this.count;
    if (n > 0 && (rel <= this.entries[2 * n - 2]! || position <= this.entries[2 * n - 1]!)) {
      // An out-of-order entry would break the binary search; it can only come from a bug, so fail loudly.
      throw new Error(`offset index ${this.path}: entry (${offset}, ${position}) is not after the last one`);
    }
    if (2 * n + 2 > this.entries.length) {
      const bigger = new Int32Array(this.entries.length * 2);
      bigger.set(this.entries);
      this.entries = bigger;
    }
    this.entries[2 * n] = rel;
    this.entries[2 * n + 1] = position;
    this.count = n + 1;
  }

  /** File position of the last entry at or before `offset`; 0 (the segment start) when there is none. */
  lookup(offset: number): number {
    const rel = offset - this.baseOffset;
    const e = this.entries;
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (e[2 * mid]! <= rel) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? 0 : e[2 * found + 1]!;
  }

  lastEntry(): { offset: number; position: number } | null {
    if (this.count === 0) return null;
    return { offset: this.baseOffset + this.entries[2 * this.count - 2]!, position: this.entries[2 * this.count - 1]! };
  }

  /** Forgets every entry, in memory and (at the next persist) on disk: the segment is being re-indexed. */
  clear(): void {
    this.count = 0;
    this.persisted = 0;
    this.fileValid = false;
  }

  /** Writes the entries the file lacks. Throws the fs error; the file is then rewritten next time. */
  persist(): void {
    if (this.fileValid && this.persisted === this.count) return;
    const from = this.fileValid ? this.persisted : 0;
    const buf = Buffer.allocUnsafe((this.count - from) * OFFSET_INDEX_ENTRY_SIZE);
    for (let i = from, p = 0; i < this.count; i++, p += OFFSET_INDEX_ENTRY_SIZE) {
      buf.writeInt32BE(this.entries[2 * i]!, p);
      buf.writeInt32BE(this.entries[2 * i + 1]!, p + 4);
    }
    try {
      writeIndexEntries(this.path, this.fileValid, buf, from, OFFSET_INDEX_ENTRY_SIZE);
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

  /**
   * Reads the file and checks it as Kafka's sanityCheck does, a little stricter: whole entries,
   * offsets and positions strictly increasing, positions inside the log. Returns what is wrong, or
   * null when the index was loaded.
   */
  load(logSize: number): string | null {
    const file = readIndexFile(this.path, OFFSET_INDEX_ENTRY_SIZE);
    if ('problem' in file) return file.problem;
    const { data, count: n } = file;
    const entries = new Int32Array(Math.max(32, 2 * n));
    let lastRel = -1;
    let lastPos = -1;
    for (let i = 0; i < n; i++) {
      const rel = data.readInt32BE(i * OFFSET_INDEX_ENTRY_SIZE);
      const pos = data.readInt32BE(i * OFFSET_INDEX_ENTRY_SIZE + 4);
      if (rel <= lastRel || pos <= lastPos || pos >= logSize) return `entry ${i} (${rel}, ${pos}) is out of order or past the log`;
      entries[2 * i] = rel;
      entries[2 * i + 1] = pos;
      lastRel = rel;
      lastPos = pos;
    }
    this.entries = entries;
    this.count = n;
    this.persisted = n;
    this.fileValid = true;
    return null;
  }

  /** Entry i as (offset, position), for the check that the last one points at a batch. */
  entryAt(i: number): { offset: number; position: number } {
    return { offset: this.baseOffset + this.entries[2 * i]!, position: this.entries[2 * i + 1]! };
  }
}
