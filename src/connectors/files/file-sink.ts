import { existsSync } from 'node:fs';
import { open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import { writeFileAtomic } from '../../log/atomic-file.js';
import type { Log, LogConsumer, PartitionOffset } from '../log.js';
import { visitRecords } from '../records.js';
import { checkDelimiter, formatCsvRecord } from './csv.js';
import { FileConnectorError } from './errors.js';

export interface FileSinkOptions {
  /** The sink's name (written into its state file, checked on restart). */
  readonly name: string;
  readonly log: Log;
  readonly topic: string;
  /** The file written; rotated files are `<path>.1`, `<path>.2`, ... */
  readonly path: string;
  readonly format: 'jsonl' | 'csv';
  /** CSV: the columns, in order (fields of each record's JSON value). Required for CSV. */
  readonly columns?: readonly string[];
  /** CSV: write a header record at the top of each file. Default true. */
  readonly header?: boolean;
  readonly delimiter?: string;
  /** Start a new file once the current one holds this many bytes. Default: never. */
  readonly rotateBytes?: number;
  /** Where to start when there is no state file. Default 'earliest'. */
  readonly startFrom?: 'earliest' | 'latest';
  readonly maxBytesPerPartition?: number;
}

/**
 * The sink's state beside the file (`<path>.state.json`): the file's committed length and the
 * topic offsets after the records in it. Written (atomically) after the data is fsynced.
 */
interface SinkState {
  readonly sink: string;
  readonly topic: string;
  /** Number of the next rotated file. */
  readonly seq: number;
  readonly bytes: number;
  readonly offsets: Record<string, number>;
}

export interface FileSinkStats {
  records: number;
  flushes: number;
  rotations: number;
}

/**
 * Writes a topic (read_committed) to a JSON Lines or CSV file, exactly once: after each fetch
 * the data is fsynced, then the state file records the file's length and the offsets after it.
 * On restart the file is cut back to the recorded length (dropping whatever a crash left after
 * the last state) and reading resumes at the recorded offsets — so each record is in the file
 * once. With `rotateBytes`, a full file is renamed to `<path>.<n>` and a new one begun.
 */
export class FileSink {
  readonly stats: FileSinkStats = { records: 0, flushes: 0, rotations: 0 };
  private stopping = false;
  private consumer: LogConsumer | null = null;
  private readonly path: string;
  private readonly statePath: string;
  private readonly delimiter: string;

  constructor(private readonly options: FileSinkOptions) {
    this.path = resolve(options.path);
    this.statePath = `${this.path}.state.json`;
    this.delimiter = options.delimiter ?? ',';
    if (options.format === 'csv') {
      checkDelimiter(this.delimiter);
      if (!options.columns || options.columns.length === 0) throw new FileConnectorError('a CSV file sink needs its columns');
    }
  }

  stop(): void {
    this.stopping = true;
    this.consumer?.wakeup();
  }

  async run(opts: { untilEnd?: boolean } = {}): Promise<FileSinkStats> {
    const { log, topic } = this.options;
    const info = (await log.describeTopics([topic])).get(topic);
    if (!info) throw new FileConnectorError(`topic ${topic} does not exist`);
    const tps = Array.from({ length: info.partitions }, (_, partition) => ({ topic, partition }));
    let state = await this.loadState();
    const starts = state
      ? tps.map((tp) => state!.offsets[tp.partition] ?? 0)
      : this.options.startFrom === 'latest'
        ? await log.endOffsets(tps, 'read_committed')
        : await log.beginningOffsets(tps);
    state ??= { sink: this.options.name, topic, seq: 1, bytes: 0, offsets: Object.fromEntries(starts.map((o, i) => [i, o])) };
    const ends = opts.untilEnd ? await log.endOffsets(tps, 'read_committed') : null;
    let file = await this.openAt(state);
    const consumer = (this.consumer = log.consumer({ isolation: 'read_committed', maxBytesPerPartition: this.options.maxBytesPerPartition }));
    consumer.assign(tps.map((tp, i) => ({ ...tp, offset: starts[i]! })));
    try {
      while (!this.stopping) {
        if (ends && tps.every((tp, i) => consumer.position(tp) >= ends[i]!)) break;
        const fetched = await consumer.fetch(500);
        if (fetched.length === 0) continue;
        const parts: string[] = [];
        if (state.bytes === 0 && this.options.format === 'csv' && this.options.header !== false) {
          parts.push(formatCsvRecord(this.options.columns!, this.delimiter));
        }
        const offsets: PartitionOffset[] = [];
        let count = 0;
        for (const f of fetched) {
          visitRecords(f, (_o, _t, _k, value) => {
            if (value === null) return;
            parts.push(this.line(value));
            count++;
          });
          offsets.push({ topic, partition: f.partition, offset: f.nextOffset });
        }
        const data = Buffer.from(parts.join(''), 'utf8');
        await file.write(data, 0, data.length, state.bytes);
        await file.sync();
        const nextOffsets: Record<string, number> = { ...state.offsets };
        for (const o of offsets) nextOffsets[o.partition] = o.offset;
        state = { ...state, bytes: state.bytes + data.length, offsets: nextOffsets };
        await this.saveState(state);
        this.stats.records += count;
        this.stats.flushes++;
        if (this.options.rotateBytes !== undefined && state.bytes >= this.options.rotateBytes) {
          await file.close();
          await rename(this.path, `${this.path}.${state.seq}`);
          state = { ...state, seq: state.seq + 1, bytes: 0 };
          await this.saveState(state);
          file = await this.openAt(state);
          this.stats.rotations++;
        }
      }
      return this.stats;
    } finally {
      consumer.close();
      this.consumer = null;
      await file.close();
    }
  }

  /** One record as a line of the file. Values are JSON; a value that is not is written as a JSON string. */
  private line(value: Buffer): string {
    let v: unknown;
    try {
      v = JSON.parse(value.toString('utf8'));
    } catch {
      v = value.toString('utf8');
    }
    if (this.options.format === 'jsonl') return JSON.stringify(v) + '\n';
    const obj = v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {};
    return formatCsvRecord(
      this.options.columns!.map((c) => obj[c]),
      this.delimiter,
    );
  }

  /** Opens the current file and cuts it to the committed length (what a crash wrote after it goes). */
  private async openAt(state: SinkState): Promise<FileHandle> {
    const rotated = `${this.path}.${state.seq}`;
    if (!existsSync(this.path) && state.bytes > 0 && existsSync(rotated)) {
      // A crash between the rotation's rename and its state write: the renamed file is still current.
      await rename(rotated, this.path);
    }
    const file = await open(this.path, existsSync(this.path) ? 'r+' : 'w+');
    await file.truncate(state.bytes);
    return file;
  }

  private async loadState(): Promise<SinkState | null> {
    let text: string;
    try {
      text = await readFile(this.statePath, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    const s = JSON.parse(text) as SinkState;
    if (s.sink !== this.options.name || s.topic !== this.options.topic) {
      throw new FileConnectorError(`${this.statePath} belongs to sink ${s.sink} of topic ${s.topic}, not ${this.options.name} of ${this.options.topic}`);
    }
    return s;
  }

  private saveState(state: SinkState): Promise<void> {
    return writeFileAtomic(this.statePath, JSON.stringify(state));
  }
}
