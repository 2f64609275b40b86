import { closeSync, fstatSync, ftruncateSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import {
  BATCH_HEADER_SIZE,
  BATCH_LENGTH,
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  MAX_TIMESTAMP,
} from '../records/batch-header.js';
import { readInt64 } from '../records/int64.js';
import { RecordBatch } from '../records/record-batch.js';
import { StorageError } from './errors.js';
import { DELETED_SUFFIX, segmentFilePath, type SegmentFileKind, type SegmentFileState } from './file-names.js';
import { errnoOf, fdatasyncAsync, readFully, toStorageError, writeFully } from './io.js';
import type { LogLogger } from './logger.js';
import { OffsetIndex } from './offset-index.js';
import { TimeIndex } from './time-index.js';
import { TxnIndex } from './txn-index.js';

const INT32_MAX = 0x7fffffff;
const EMPTY: Buffer = Buffer.alloc(0);

/**
 * Header reads during index scans go through one scratch buffer: every read is synchronous, so no
 * two scans can interleave.
 */
const scratch = Buffer.allocUnsafe(BATCH_HEADER_SIZE);

export interface SegmentDescription {
  baseOffset: number;
  /** Bytes of log. */
  size: number;
  /** Largest record timestamp, -1 when the segment has none. */
  largestTimestamp: number;
}

/** A found record: the answer to "first offset with timestamp >= t". */
export interface TimestampAndOffset {
  offset: number;
  timestamp: number;
}

/**
 * One segment: a `.log` file of whole batches plus its offset and time indexes.
 *
 * The log file stays open for the segment's life (reads are synchronous preads on it). Index entries
 * live in memory; sealed segments opened from disk load theirs on first use (most old segments are
 * never read, so they cost one file descriptor and no memory).
 *
 * Async work on the descriptor (fdatasync) is counted, and close() waits for it: closing an fd under
 * a pending fdatasync could sync, or worse write, an unrelated file that reused the number.
 */
export class Segment {
  readonly dir: string;
  readonly baseOffset: number;
  readonly indexIntervalBytes: number;
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  /** Aborted transactions whose abort marker is in this segment. */
  readonly txnIndex: TxnIndex;
  private readonly logger: LogLogger;
  private fd: number;
  private state: SegmentFileState;
  private _size: number;
  private _maxTimestamp = -1;
  /** Offset after the last batch; -1 for a sealed segment opened from disk and not scanned. */
  private _nextOffset: number;
  private _firstBatchTimestamp = -1;
  /** Wall-clock time of the first append, for segment.ms; -1 while empty. */
  firstAppendTime = -1;
  private bytesSinceIndexEntry = 0;
  private indexesLoaded: boolean;
  private _sealed = false;
  private indexesSynced = false;
  /** Set when a failed write could not be cut back: the file may hold part of a batch. */
  private _broken = false;
  private pendingOps = 0;
  private idleWaiters: (() => void)[] = [];
  private closed = false;
  /** Where the last read stopped, so a sequential consumer's next read needs no index lookup. */
  private nextReadOffset = -1;
  private nextReadPosition = -1;

  private constructor(
    dir: string,
    baseOffset: number,
    indexIntervalBytes: number,
    state: SegmentFileState,
    fd: number,
    size: number,
    indexesLoaded: boolean,
    logger: LogLogger,
  ) {
    this.dir = dir;
    this.baseOffset = baseOffset;
    this.indexIntervalBytes = indexIntervalBytes;
    this.state = state;
    this.fd = fd;
    this._size = size;
    this._nextOffset = size === 0 ? baseOffset : -1;
    this.indexesLoaded = indexesLoaded;
    this.logger = logger;
    this.offsetIndex = new OffsetIndex(segmentFilePath(dir, baseOffset, 'index', state), baseOffset);
    this.timeIndex = new TimeIndex(segmentFilePath(dir, baseOffset, 'timeindex', state), baseOffset);
    this.txnIndex = new TxnIndex(segmentFilePath(dir, baseOffset, 'txnindex', state), size === 0 && indexesLoaded);
  }

  /** A new, empty segment. Fails if the file exists: two segments must never share a base offset. */
  static create(dir: string, baseOffset: number, indexIntervalBytes: number, logger: LogLogger, state: SegmentFileState = ''): Segment {
    const path = segmentFilePath(dir, baseOffset, 'log', state);
    let fd: number;
    try {
      fd = openSync(path, 'wx+');
    } catch (e) {
      throw toStorageError(`cannot create segment ${path}`, e);
    }
    const seg = new Segment(dir, baseOffset, indexIntervalBytes, state, fd, 0, true, logger);
    rmSync(seg.txnIndex.path, { force: true });
    // Index files exist from the start, so "missing index" at open always means damage.
    try {
      seg.offsetIndex.persist();
      seg.timeIndex.persist();
    } catch (e) {
      closeSync(fd);
      rmSync(path, { force: true });
      seg.removeIndexFiles();
      throw toStorageError(`cannot create the indexes of segment ${path}`, e);
    }
    return seg;
  }

  /** An existing segment file; its indexes load lazily (or are rebuilt by recovery). */
  static open(dir: string, baseOffset: number, indexIntervalBytes: number, logger: LogLogger, state: SegmentFileState = ''): Segment {
    const path = segmentFilePath(dir, baseOffset, 'log', state);
    let fd: number;
    try {
      fd = openSync(path, 'r+');
    } catch (e) {
      throw toStorageError(`cannot open segment ${path}`, e);
    }
    const size = fstatSync(fd).size;
    if (size > INT32_MAX) {
      closeSync(fd);
      throw new StorageError(`segment ${path} is ${size} bytes; index positions are int32`);
    }
    return new Segment(dir, baseOffset, indexIntervalBytes, state, fd, size, false, logger);
  }

  get logPath(): string {
    return segmentFilePath(this.dir, this.baseOffset, 'log', this.state);
  }
  get size(): number {
    return this._size;
  }
  get maxTimestamp(): number {
    return this._maxTimestamp;
  }
  get nextOffset(): number {
    return this._nextOffset;
  }
  get firstBatchTimestamp(): number {
    return this._firstBatchTimestamp;
  }
  get sealed(): boolean {
    return this._sealed;
  }
  get broken(): boolean {
    return this._broken;
  }

  describe(): SegmentDescription {
    return { baseOffset: this.baseOffset, size: this._size, largestTimestamp: this._maxTimestamp };
  }

  /**
   * The timestamp retention compares: the largest record timestamp, or (as Kafka does) the file's
   * modification time when no record carried one.
   */
  largestTimestampForRetention(): number {
    if (this._maxTimestamp >= 0) return this._maxTimestamp;
    try {
      return statSync(this.logPath).mtimeMs;
    } catch {
      return -1;
    }
  }

  // -------------------------------------------------------------------------------------------
  // writing

  /**
   * Writes whole, validated batches at the end of the file and indexes them. On failure the file is
   * cut back to where it was, so it never keeps part of a batch; if even that fails the segment is
   * marked broken and the error says so.
   */
  append(batches: Buffer, now: number): void {
    const position = this._size;
    try {
      writeFully(this.fd, batches, position);
    } catch (e) {
      throw this.undoFailedWrite(position, e);
    }
    this._size = position + batches.length;
    if (this.firstAppendTime < 0) this.firstAppendTime = now;
    for (let at = 0; at < batches.length; ) {
      const size = batches.readInt32BE(at + BATCH_LENGTH) + LOG_OVERHEAD;
      this.track(position + at, batches, at, size);
      at += size;
    }
  }

  private undoFailedWrite(position: number, cause: unknown): StorageError {
    const errno = errnoOf(cause);
    let cutBack = false;
    try {
      ftruncateSync(this.fd, position);
      cutBack = true;
    } catch {
      // An immutable file refuses the truncate too, but then it also refused the write: check the size.
      try {
        cutBack = fstatSync(this.fd).size === position;
      } catch {
        cutBack = false;
      }
    }
    const why = cause instanceof Error ? cause.message : String(cause);
    if (!cutBack) {
      this._broken = true;
      return new StorageError(
        `append to ${this.logPath} failed (${why}) and the partial batch could not be removed; the partition is offline until reopened`,
        errno === undefined ? { cause } : { cause, errno },
      );
    }
    return new StorageError(`append to ${this.logPath} failed: ${why}`, errno === undefined ? { cause } : { cause, errno });
  }

  /** Index bookkeeping for the batch at buf[at..] that lives at `position` in the file. */
  track(position: number, buf: Buffer, at: number, size: number): void {
    const baseOffset = readInt64(buf, at);
    const lastOffset = baseOffset + buf.readInt32BE(at + LAST_OFFSET_DELTA);
    const maxTimestamp = readInt64(buf, at + MAX_TIMESTAMP);
    if (position === 0) this._firstBatchTimestamp = maxTimestamp;
    if (maxTimestamp > this._maxTimestamp) this._maxTimestamp = maxTimestamp;
    if (this.bytesSinceIndexEntry > this.indexIntervalBytes) {
      this.offsetIndex.append(baseOffset, position);
      this.timeIndex.maybeAppend(this._maxTimestamp, lastOffset);
      this.bytesSinceIndexEntry = 0;
    }
    this.bytesSinceIndexEntry += size;
    this._nextOffset = lastOffset + 1;
  }

  /** Forget everything derived from the file's content before it is scanned again. */
  resetDerivedState(): void {
    this.offsetIndex.clear();
    this.timeIndex.clear();
    this._maxTimestamp = -1;
    this._firstBatchTimestamp = -1;
    this._nextOffset = this.baseOffset;
    this.bytesSinceIndexEntry = 0;
    this.nextReadOffset = -1;
    this.nextReadPosition = -1;
    this.indexesLoaded = true;
  }

  /** Sets the readable size after a scan; with `cutFile` also truncates the file there. */
  setValidSize(size: number, cutFile: boolean): void {
    if (cutFile) {
      try {
        ftruncateSync(this.fd, size);
      } catch (e) {
        throw toStorageError(`cannot truncate ${this.logPath} to ${size} bytes`, e);
      }
    }
    this._size = size;
  }

  fileSize(): number {
    return fstatSync(this.fd).size;
  }

  /**
   * The segment stops being active: the final time-index entry makes the last entry carry the
   * segment's largest timestamp (what a restart reads back for retention), then the indexes go to disk.
   */
  seal(): void {
    if (this._size > 0 && this._maxTimestamp >= 0) this.timeIndex.maybeAppend(this._maxTimestamp, this._nextOffset - 1);
    this._sealed = true;
    this.persistIndexes();
  }

  /**
   * A segment that is not (or no longer) active without passing through seal(): a trusted one from
   * disk (`indexesDurable`), or one whose indexes were just rebuilt and still need an fdatasync.
   */
  markSealed(indexesDurable: boolean): void {
    this._sealed = true;
    this.indexesSynced = indexesDurable;
  }

  /** Best effort: an index that fails to reach the disk is rebuilt from the log at the next open. */
  persistIndexes(): void {
    if (!this.indexesLoaded) return;
    try {
      this.offsetIndex.persist();
      this.timeIndex.persist();
    } catch (e) {
      this.logger.warn(`cannot write the indexes of ${this.logPath} (${errnoOf(e) ?? String(e)}); they will be rebuilt at the next open`);
    }
  }

  /** fdatasync of the log, and of the indexes once the segment is sealed (they are final then). */
  async sync(): Promise<void> {
    if (this.closed) return;
    this.pendingOps++;
    try {
      await fdatasyncAsync(this.fd);
      await this.txnIndex.sync();
      if (this._sealed && !this.indexesSynced && this.indexesLoaded) {
        await this.offsetIndex.sync();
        await this.timeIndex.sync();
        this.indexesSynced = true;
      }
    } finally {
      this.pendingOps--;
      if (this.pendingOps === 0) this.wakeIdle();
    }
  }

  // -------------------------------------------------------------------------------------------
  // indexes of segments opened from disk

  /** Loads the indexes of a segment opened from disk; rebuilds them from the log if they are damaged. */
  ensureIndexes(rebuild: (segment: Segment, reason: string) => void): void {
    if (this.indexesLoaded) return;
    const problem = this.loadIndexes();
    this.indexesLoaded = true;
    if (problem !== null) rebuild(this, problem);
  }

  private loadIndexes(): string | null {
    const offsetProblem = this.offsetIndex.load(this._size);
    if (offsetProblem !== null) return `offset index ${this.offsetIndex.path} ${offsetProblem}`;
    // Kafka's sanity check, made exact: the last entry must point at the start of the batch it names.
    const n = this.offsetIndex.entryCount;
    if (n > 0) {
      const last = this.offsetIndex.entryAt(n - 1);
      if (!this.readHeader(last.position) || readInt64(scratch, 0) !== last.offset) {
        return `offset index ${this.offsetIndex.path} points at ${last.position} for offset ${last.offset}, where no such batch starts`;
      }
    }
    const timeProblem = this.timeIndex.load(INT32_MAX);
    if (timeProblem !== null) return `time index ${this.timeIndex.path} ${timeProblem}`;
    return null;
  }

  /** The largest timestamp recorded by the time index on disk, for a sealed segment opened lazily. */
  adoptMaxTimestamp(timestamp: number): void {
    this._maxTimestamp = timestamp;
  }

  // -------------------------------------------------------------------------------------------
  // reading

  /** Loads the header of the batch at `position` into the scratch buffer; false past the end. */
  private readHeader(position: number): boolean {
    if (position + BATCH_HEADER_SIZE > this._size) return false;
    return readFully(this.fd, scratch, 0, BATCH_HEADER_SIZE, position) === BATCH_HEADER_SIZE;
  }

  /**
   * Position of the first batch whose last offset is >= `offset`, or -1 when none is in this segment.
   * Starts from the sequential-read hint or the sparse index, then walks batch headers.
   */
  positionOf(offset: number, rebuild: (segment: Segment, reason: string) => void): number {
    this.ensureIndexes(rebuild);
    let position =
      offset === this.nextReadOffset && this.nextReadPosition <= this._size ? this.nextReadPosition : this.offsetIndex.lookup(offset);
    while (this.readHeader(position)) {
      const last = readInt64(scratch, 0) + scratch.readInt32BE(LAST_OFFSET_DELTA);
      if (last >= offset) return position;
      position += scratch.readInt32BE(BATCH_LENGTH) + LOG_OVERHEAD;
    }
    return -1;
  }

  /**
   * Whole batches from `position`: as many as fit in `maxBytes`, but always the first one even if it
   * is larger (as Kafka's Fetch does, so a consumer can never get stuck), and only batches whose last
   * offset is below `maxOffset` (the high watermark or, later, the last stable offset).
   * The bytes are the file's, not a re-encoding.
   */
  readBatches(position: number, maxBytes: number, maxOffset: number): Buffer {
    const available = this._size - position;
    if (available <= 0) return EMPTY;
    const want = Math.min(available, Math.max(maxBytes, BATCH_HEADER_SIZE));
    let buf = Buffer.allocUnsafe(want);
    let n = readFully(this.fd, buf, 0, want, position);
    if (n < BATCH_HEADER_SIZE) return EMPTY;
    const first = buf.readInt32BE(BATCH_LENGTH) + LOG_OVERHEAD;
    if (first > n) {
      if (first > available || first < BATCH_HEADER_SIZE) {
        throw new StorageError(`segment ${this.logPath} has a bad batch length ${first} at ${position}`);
      }
      const whole = Buffer.allocUnsafe(first);
      buf.copy(whole, 0, 0, n);
      n += readFully(this.fd, whole, n, first - n, position + n);
      buf = whole;
    }
    let end = 0;
    let lastIncluded = -1;
    while (end + BATCH_HEADER_SIZE <= n) {
      const size = buf.readInt32BE(end + BATCH_LENGTH) + LOG_OVERHEAD;
      if (size < BATCH_HEADER_SIZE || end + size > n) break;
      const last = readInt64(buf, end) + buf.readInt32BE(end + LAST_OFFSET_DELTA);
      if (last >= maxOffset) break;
      lastIncluded = last;
      end += size;
    }
    if (end === 0) return EMPTY;
    this.nextReadOffset = lastIncluded + 1;
    this.nextReadPosition = position + end;
    return end === buf.length ? buf : buf.subarray(0, end);
  }

  /** Up to `length` bytes at `position` into the start of `buf`; returns how many were read. */
  pread(buf: Buffer, length: number, position: number): number {
    return readFully(this.fd, buf, 0, length, position);
  }

  /** Exactly `length` bytes at `position` (a whole batch, for the cleaner and timestamp search). */
  readAt(position: number, length: number): Buffer {
    const buf = Buffer.allocUnsafe(length);
    const n = readFully(this.fd, buf, 0, length, position);
    if (n !== length) throw new StorageError(`short read of ${this.logPath}: ${n} of ${length} bytes at ${position}`);
    return buf;
  }

  /**
   * First record at or after the scan start the time index gives whose timestamp is >= `target`:
   * batches are skipped on their header's maxTimestamp, and only the batch that must hold the answer
   * is decoded.
   */
  findByTimestamp(target: number, rebuild: (segment: Segment, reason: string) => void): TimestampAndOffset | null {
    this.ensureIndexes(rebuild);
    if (this._maxTimestamp < target) return null;
    const startOffset = this.timeIndex.scanStartFor(target);
    let position = this.offsetIndex.lookup(startOffset);
    while (this.readHeader(position)) {
      const size = scratch.readInt32BE(BATCH_LENGTH) + LOG_OVERHEAD;
      const last = readInt64(scratch, 0) + scratch.readInt32BE(LAST_OFFSET_DELTA);
      if (last >= startOffset && readInt64(scratch, MAX_TIMESTAMP) >= target) {
        let found: TimestampAndOffset | null = null;
        new RecordBatch(this.readAt(position, size)).forEachRecord((offset, timestamp) => {
          if (timestamp >= target) {
            found = { offset, timestamp };
            return false;
          }
          return true;
        });
        if (found !== null) return found;
      }
      position += size;
    }
    return null;
  }

  /**
   * Every whole batch in the segment, in order, read in large chunks. Each yielded buffer is valid
   * only until the next step of the iteration (it may be a view of a reused chunk).
   */
  *batches(chunkSize = 1024 * 1024): Generator<{ position: number; bytes: Buffer }, void, undefined> {
    let chunk = Buffer.allocUnsafe(chunkSize);
    let chunkStart = 0;
    let chunkLen = 0;
    let position = 0;
    while (position + BATCH_HEADER_SIZE <= this._size) {
      let at = position - chunkStart;
      if (at + LOG_OVERHEAD > chunkLen) {
        chunkStart = position;
        chunkLen = readFully(this.fd, chunk, 0, Math.min(chunk.length, this._size - position), position);
        at = 0;
      }
      const size = chunk.readInt32BE(at + BATCH_LENGTH) + LOG_OVERHEAD;
      if (size < BATCH_HEADER_SIZE || position + size > this._size) {
        throw new StorageError(`segment ${this.logPath} has a bad batch length ${size} at ${position}`);
      }
      if (at + size > chunkLen) {
        if (size > chunk.length) chunk = Buffer.allocUnsafe(size);
        chunkStart = position;
        chunkLen = readFully(this.fd, chunk, 0, Math.min(chunk.length, this._size - position), position);
        at = 0;
      }
      yield { position, bytes: chunk.subarray(at, at + size) };
      position += size;
    }
  }

  // -------------------------------------------------------------------------------------------
  // files

  /**
   * Renames the segment's files to another state (`.cleaned` -> `.swap` -> live, live -> `.deleted`).
   * With `logLast` the indexes move first and the log last, so the log's rename is the commit point;
   * otherwise the log moves first, so the segment leaves the live set before its indexes do.
   */
  renameTo(state: SegmentFileState, logLast: boolean): void {
    const kinds: SegmentFileKind[] = logLast ? ['index', 'timeindex', 'txnindex', 'log'] : ['log', 'index', 'timeindex', 'txnindex'];
    for (const kind of kinds) {
      const from = segmentFilePath(this.dir, this.baseOffset, kind, this.state);
      const to = segmentFilePath(this.dir, this.baseOffset, kind, state);
      try {
        renameSync(from, to);
      } catch (e) {
        if (kind === 'log' || errnoOf(e) !== 'ENOENT') throw toStorageError(`cannot rename ${from} to ${to}`, e);
        // No such file here (a segment without aborted transactions has no .txnindex): nor may there
        // be one under the new name, left by the segment this one replaces.
        rmSync(to, { force: true });
      }
    }
    this.state = state;
    this.offsetIndex.path = segmentFilePath(this.dir, this.baseOffset, 'index', state);
    this.timeIndex.path = segmentFilePath(this.dir, this.baseOffset, 'timeindex', state);
    this.txnIndex.path = segmentFilePath(this.dir, this.baseOffset, 'txnindex', state);
  }

  removeIndexFiles(): void {
    rmSync(this.offsetIndex.path, { force: true });
    rmSync(this.timeIndex.path, { force: true });
    rmSync(this.txnIndex.path, { force: true });
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private idle(): Promise<void> {
    if (this.pendingOps === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Closes the descriptor once no fdatasync is pending on it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.idle();
    closeSync(this.fd);
  }

  /** For open-time failures, when nothing async can be pending yet. */
  closeNow(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  /** Renames to `.deleted` at once (a crash then leaves nothing live), unlinks once idle. */
  async delete(): Promise<void> {
    if (this.state !== DELETED_SUFFIX) this.renameTo(DELETED_SUFFIX, false);
    await this.close();
    this.unlinkFiles();
  }

  /** Unlinks the files under their current names. */
  unlinkFiles(): void {
    rmSync(this.logPath, { force: true });
    this.removeIndexFiles();
  }
}
