import { open, stat, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Log, LogProducer } from '../log.js';
import { BadLineError, FileConnectorError } from './errors.js';
import { JsonRecordWriter, deadLetterRecord } from './json-records.js';
import { HEADER, RecordReader, type FileFormat } from './record-reader.js';
import { SourcePositions } from './source-positions.js';

export interface FileSourceOptions {
  /** The source's name: its position is stored under it. */
  readonly name: string;
  readonly log: Log;
  readonly topic: string;
  readonly path: string;
  readonly format: FileFormat;
  /** A field of each record whose text becomes the record key (and picks the partition). */
  readonly keyField?: string;
  /** Partitions of the topic when the source creates it. Default 1. */
  readonly partitions?: number;
  /** CSV: the delimiter (default ','). */
  readonly delimiter?: string;
  /** CSV: column names when the file has no header record; without it the first record is the header. */
  readonly columns?: readonly string[];
  /** Keep reading as the file grows (tail -f); run() then ends only with stop(). */
  readonly follow?: boolean;
  /** Follow mode: how often to look for new data. Default 200 ms. */
  readonly pollIntervalMs?: number;
  /** A line that is not a record: stop with its line number ('fail', the default) or send it to a dead-letter topic. */
  readonly onBadLine?: 'fail' | 'dead-letter';
  /** Default `<topic>-dlq`. */
  readonly deadLetterTopic?: string;
  /** Bytes read (and records written in one transaction) at a time. Default 1 MiB. */
  readonly chunkBytes?: number;
  /** Called after each committed chunk. */
  readonly onCommit?: (info: FileSourceCommit) => void | Promise<void>;
  readonly warn?: (message: string) => void;
}

export interface FileSourceCommit {
  readonly records: number;
  readonly deadLetters: number;
  readonly position: number;
  readonly line: number;
}

export interface FileSourceStats {
  records: number;
  deadLetters: number;
  transactions: number;
}

/** What the source stores in SourcePositions: the byte to read next, and its line number. */
interface StoredPosition {
  readonly path: string;
  readonly position: number;
  readonly line: number;
}

/**
 * Reads a JSON Lines or CSV file into a topic, exactly once: each chunk's records and the byte
 * position after them are written in one transaction of a producer whose transactional id is
 * the source's name (a second copy of the same source fences the first). After a restart it
 * resumes from the stored position; with `follow` it keeps reading as the file grows and starts
 * over when the file is truncated (copy-truncate rotation). In follow mode a last line without
 * its line break is not read until the break arrives: it may still be being written.
 */
export class FileSource {
  readonly stats: FileSourceStats = { records: 0, deadLetters: 0, transactions: 0 };
  private stopping = false;
  private wake: (() => void) | null = null;
  private readonly path: string;
  private readonly warn: (message: string) => void;

  constructor(private readonly options: FileSourceOptions) {
    if (!options.name) throw new FileConnectorError('the file source needs a name');
    this.path = resolve(options.path);
    this.warn = options.warn ?? ((m) => process.stderr.write(`[tributary file-source ${options.name}] ${m}\n`));
  }

  stop(): void {
    this.stopping = true;
    this.wake?.();
  }

  async run(): Promise<FileSourceStats> {
    const { log, topic } = this.options;
    const dlq = this.options.deadLetterTopic ?? `${topic}-dlq`;
    const positions = new SourcePositions(log);
    await positions.ensureTopic();
    await log.createTopics([{ name: topic, partitions: this.options.partitions ?? 1 }]);
    if (this.options.onBadLine === 'dead-letter') await log.createTopics([{ name: dlq, partitions: 1 }]);
    const partitions = (await log.describeTopics([topic])).get(topic)!.partitions;
    const writer = new JsonRecordWriter(topic, partitions, this.options.keyField);
    const key = `file-source/${this.options.name}`;
    const producer = await log.producer({ transactionalId: `tributary-file-source-${this.options.name}` });
    let handle: FileHandle | null = null;
    try {
      const stored = await positions.load<StoredPosition>(key);
      let pos = stored && stored.path === this.path ? stored.position : 0;
      let line = stored && stored.path === this.path ? stored.line : 1;
      if (stored && stored.path !== this.path) this.warn(`the stored position is for ${stored.path}; starting ${this.path} from its beginning`);
      let reader = this.newReader();
      handle = await this.openFile();
      if (pos > 0) await this.readHeader(handle, reader);
      let chunk = this.options.chunkBytes ?? 1024 * 1024;
      while (!this.stopping) {
        const size = (await handle.stat()).size;
        if (size < pos) {
          this.warn(`${this.path} shrank below the stored position ${pos}: it was truncated; reading it from the start`);
          pos = 0;
          line = 1;
          reader = this.newReader();
        }
        if (size === pos) {
          if (!this.options.follow) break;
          const fresh = await this.reopenIfReplaced(handle);
          if (fresh) {
            handle = fresh;
            pos = 0;
            line = 1;
            reader = this.newReader();
            continue;
          }
          await this.sleep(this.options.pollIntervalMs ?? 200);
          continue;
        }
        const length = Math.min(chunk, size - pos);
        const buf = Buffer.allocUnsafe(length);
        const { bytesRead } = await handle.read(buf, 0, length, pos);
        const final = !this.options.follow && pos + bytesRead === size;
        const { entries, next, nextLine } = reader.read(buf.subarray(0, bytesRead), pos, line, final);
        if (next === pos) {
          if (bytesRead === chunk) chunk *= 2; // one record longer than the chunk: read more at once
          else if (this.options.follow) await this.sleep(this.options.pollIntervalMs ?? 200);
          continue;
        }
        let records = 0;
        let dead = 0;
        let bad: BadLineError | null = null;
        let upTo = { position: next, line: nextLine };
        for (const e of entries) {
          if (e.value === HEADER) continue;
          if (e.error) {
            if (this.options.onBadLine !== 'dead-letter' || reader.columns === null) {
              bad = e.error;
              upTo = { position: e.start, line: e.line };
              break;
            }
            producer.send(deadLetterRecord(dlq, withoutLineBreak(e.raw), e.error.reason, { file: this.path, line: String(e.line) }));
            dead++;
            continue;
          }
          producer.send(writer.record(e.value));
          records++;
        }
        await this.commit(producer, positions, key, upTo, records, dead);
        if (bad) throw bad;
        pos = next;
        line = nextLine;
      }
      return this.stats;
    } catch (e) {
      if (producer.inTransaction) await producer.abortTransaction().catch(() => {});
      throw e;
    } finally {
      await handle?.close();
      await producer.close();
    }
  }

  private async commit(producer: LogProducer, positions: SourcePositions, key: string, at: { position: number; line: number }, records: number, dead: number): Promise<void> {
    positions.send<StoredPosition>(producer, key, { path: this.path, position: at.position, line: at.line });
    await producer.commitTransaction();
    this.stats.records += records;
    this.stats.deadLetters += dead;
    this.stats.transactions++;
    await this.options.onCommit?.({ records, deadLetters: dead, position: at.position, line: at.line });
  }

  private newReader(): RecordReader {
    const reader = new RecordReader({ format: this.options.format, delimiter: this.options.delimiter, source: this.path });
    if (this.options.columns) reader.columns = this.options.columns;
    return reader;
  }

  /** CSV with a header, resumed mid-file: the column names come from the file's first record. */
  private async readHeader(handle: FileHandle, reader: RecordReader): Promise<void> {
    if (this.options.format !== 'csv' || reader.columns !== null) return;
    for (let size = 64 * 1024; ; size *= 2) {
      const buf = Buffer.allocUnsafe(size);
      const { bytesRead } = await handle.read(buf, 0, size, 0);
      const { entries } = reader.read(buf.subarray(0, bytesRead), 0, 1, bytesRead < size);
      if (reader.columns !== null || bytesRead < size) break;
      void entries;
    }
    if (reader.columns === null) throw new FileConnectorError(`${this.path}: no CSV header record to resume with`);
  }

  private async openFile(): Promise<FileHandle> {
    for (;;) {
      try {
        return await open(this.path, 'r');
      } catch (e) {
        // Following a file that does not exist yet: wait for it.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || !this.options.follow || this.stopping) {
          throw new FileConnectorError(`cannot open ${this.path}: ${(e as Error).message}`, { cause: e });
        }
        await this.sleep(this.options.pollIntervalMs ?? 200);
      }
    }
  }

  /** Follow mode: a file replaced under the same name (rename rotation) is read from its start. */
  private async reopenIfReplaced(handle: FileHandle): Promise<FileHandle | null> {
    const [mine, now] = await Promise.all([handle.stat(), stat(this.path).catch(() => null)]);
    if (now === null || now.ino === mine.ino) return null;
    this.warn(`${this.path} was replaced; reading the new file from its start`);
    await handle.close();
    return this.openFile();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }
}

/** The record's bytes without the line break that ended it (dead letters hold the record, not the file's layout). */
function withoutLineBreak(raw: Buffer): Buffer {
  let end = raw.length;
  if (end > 0 && raw[end - 1] === 0x0a) end--;
  if (end > 0 && raw[end - 1] === 0x0d) end--;
  return raw.subarray(0, end);
}
