import type { Command } from 'commander';
import { createReadStream, statSync } from 'node:fs';
import { progressBar } from '../progress.js';
import type { LogManager } from '../../log/log-manager.js';
import { encodeRecordBatch } from '../../records/record-batch.js';
import type { RecordInput } from '../../records/record.js';
import { partitionForKey } from '../../records/partitioner.js';
import { UsageError } from '../errors.js';
import { withLog } from '../log-session.js';
import { nonNegativeInt } from '../options.js';
import type { GlobalOptions } from '../main.js';

const MAX_BATCH_RECORDS = 1000;
const MAX_BATCH_BYTES = 512 * 1024;

interface ProduceOptions {
  partition?: number;
  keySeparator?: string;
  file?: string;
}

/**
 * Collects records per partition and appends each partition's records as one batch when it is full,
 * as a Kafka producer's accumulator does. Unkeyed records stick to one partition per batch and move
 * on to the next when it is sent (Kafka's sticky partitioner), which spreads them evenly.
 */
class Accumulator {
  private readonly pending: RecordInput[][];
  private readonly pendingBytes: number[];
  private sticky = 0;
  produced = 0;

  constructor(
    private readonly log: LogManager,
    private readonly topic: string,
    private readonly partitions: number,
  ) {
    this.pending = Array.from({ length: partitions }, () => []);
    this.pendingBytes = new Array<number>(partitions).fill(0);
  }

  async add(partition: number | undefined, key: Buffer | null, value: Buffer): Promise<void> {
    const p = partition ?? (key === null ? this.sticky : partitionForKey(key, this.partitions));
    const batch = this.pending[p]!;
    batch.push({ key, value, timestamp: Date.now() });
    this.pendingBytes[p]! += value.length + (key?.length ?? 0);
    if (batch.length >= MAX_BATCH_RECORDS || this.pendingBytes[p]! >= MAX_BATCH_BYTES) await this.send(p);
  }

  async send(p: number): Promise<void> {
    const records = this.pending[p]!;
    if (records.length === 0) return;
    this.pending[p] = [];
    this.pendingBytes[p] = 0;
    await this.log.partition(this.topic, p).append(encodeRecordBatch({ records }));
    this.produced += records.length;
    if (p === this.sticky) this.sticky = (this.sticky + 1) % this.partitions;
  }

  async flush(): Promise<void> {
    for (let p = 0; p < this.partitions; p++) await this.send(p);
  }
}

async function* lines(input: NodeJS.ReadableStream, onBytes: (n: number) => void = () => {}): AsyncGenerator<Buffer> {
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of input) {
    onBytes((chunk as Buffer).length);
    const buf: Buffer = rest.length ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer);
    let start = 0;
    for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
      const end = nl > start && buf[nl - 1] === 13 ? nl - 1 : nl;
      yield buf.subarray(start, end);
      start = nl + 1;
    }
    rest = Buffer.from(buf.subarray(start));
  }
  if (rest.length) yield rest;
}

export function registerProduce(program: Command, globals: () => GlobalOptions): void {
  program
    .command('produce')
    .description('append one record per line of standard input to a topic')
    .argument('<topic>', 'topic name (must exist)')
    .option('-p, --partition <n>', 'write every record to this partition', nonNegativeInt('--partition'))
    .option('-f, --file <path>', 'read the lines from this file instead of standard input (a progress bar on a terminal)')
    .option(
      '-K, --key-separator <s>',
      'split each line at the first <s> into key and value; keyed records go to murmur2(key) % partitions, as Kafka\'s default partitioner',
    )
    .addHelpText(
      'after',
      '\nWith --json prints {"topic","produced"} when done. A progress bar with the rate goes to stderr when it is a terminal.' +
        '\n\nExamples:\n  echo hello | tributary produce greetings\n  tributary produce clicks --file clicks.txt --key-separator :\n  printf "user1:clicked\\nuser2:viewed\\n" | tributary produce clicks --key-separator :',
    )
    .action(async (topic: string, opts: ProduceOptions) => {
      const { dataDir, json } = globals();
      if (opts.keySeparator === '') throw new UsageError('--key-separator must not be empty');
      const sep = opts.keySeparator === undefined ? null : Buffer.from(opts.keySeparator);
      const produced = await withLog(dataDir, async (log) => {
        const partitions = log.describeTopic(topic).partitions.length;
        if (opts.partition !== undefined) log.partition(topic, opts.partition); // throws for an out-of-range partition
        const acc = new Accumulator(log, topic, partitions);
        let input: NodeJS.ReadableStream = process.stdin;
        let bytesRead = 0;
        let progress = progressBar('produce', 0, 'bytes', false);
        if (opts.file !== undefined) {
          const size = statSync(opts.file).size; // throws ENOENT: "error: ENOENT: no such file ..." and exit 1
          input = createReadStream(opts.file);
          progress = progressBar(`produce ${topic}`, size, 'bytes', !json && process.stderr.isTTY === true);
        }
        let lineCount = 0;
        for await (const line of lines(input, (n) => (bytesRead += n))) {
          if (++lineCount % 1000 === 0) progress.update(bytesRead, { records: lineCount });
          let key: Buffer | null = null;
          let value = line;
          if (sep) {
            const at = line.indexOf(sep);
            if (at >= 0) {
              key = Buffer.from(line.subarray(0, at));
              value = line.subarray(at + sep.length);
            }
          }
          await acc.add(opts.partition, key, Buffer.from(value));
        }
        await acc.flush();
        progress.update(bytesRead, { records: lineCount });
        progress.stop();
        return acc.produced;
      });
      process.stderr.write(`Produced ${produced} record(s) to ${topic}.\n`);
      if (json) process.stdout.write(`${JSON.stringify({ topic, produced })}\n`);
    });
}
