import type { Command } from 'commander';
import { forEachCommittedRecord } from '../../log/committed-records.js';
import type { RecordHeader } from '../../records/record.js';
import { OffsetOutOfRangeError } from '../../log/errors.js';
import { UsageError } from '../errors.js';
import { withLog } from '../log-session.js';
import { nonNegativeInt, positiveInt } from '../options.js';
import { recordToJson } from '../record-json.js';
import type { GlobalOptions } from '../main.js';

interface ConsumeOptions {
  partition?: number;
  fromBeginning?: boolean;
  offset?: number;
  maxMessages?: number;
  printKey?: boolean;
  printOffset?: boolean;
  json?: boolean;
}

const FETCH_BYTES = 1024 * 1024;

export function registerConsume(program: Command, globals: () => GlobalOptions): void {
  program
    .command('consume')
    .description('print the records of a topic, one per line, then exit at the end of the log')
    .argument('<topic>', 'topic name')
    .option('-p, --partition <n>', 'read only this partition', nonNegativeInt('--partition'))
    .option('--from-beginning', 'start at each partition\'s log start offset (default: its end, printing nothing)')
    .option('--offset <n>', 'start at this offset (needs --partition)', nonNegativeInt('--offset'))
    .option('-n, --max-messages <n>', 'stop after this many records', positiveInt('--max-messages'))
    .option('--print-key', 'print "key<TAB>value"')
    .option('--print-offset', 'print "partition:offset<TAB>" before each record')
    .option('--json', 'one JSON object per record: {"topic","partition","offset","timestamp","key","value","headers"}')
    .addHelpText(
      'after',
      '\nRecords of aborted transactions and transaction markers are never printed (read_committed).' +
        '\n\nExamples:\n  tributary consume clicks --from-beginning --max-messages 10\n  tributary consume clicks --partition 2 --offset 100 --json',
    )
    .action(async (topic: string, opts: ConsumeOptions) => {
      const { dataDir, json: globalJson } = globals();
      const json = opts.json || globalJson;
      if (opts.offset !== undefined && opts.partition === undefined) throw new UsageError('--offset needs --partition');
      if (opts.offset !== undefined && opts.fromBeginning) throw new UsageError('use either --offset or --from-beginning');
      const limit = opts.maxMessages ?? Infinity;
      const out: string[] = [];
      const flush = () => {
        if (out.length) process.stdout.write(`${out.join('\n')}\n`);
        out.length = 0;
      };
      await withLog(dataDir, async (log) => {
        const all = log.describeTopic(topic).partitions.map((p) => p.partition);
        const partitions = opts.partition === undefined ? all : [opts.partition];
        let printed = 0;
        for (const p of partitions) {
          if (printed >= limit) break;
          const part = log.partition(topic, p);
          let offset = opts.offset ?? (opts.fromBeginning ? part.logStartOffset : part.logEndOffset);
          if (offset < part.logStartOffset || offset > part.logEndOffset) {
            throw new OffsetOutOfRangeError(
              `offset ${offset} is outside partition ${p}'s range [${part.logStartOffset}, ${part.logEndOffset}]`,
            );
          }
          const end = part.lastStableOffset;
          while (offset < end && printed < limit) {
            const read = part.read(offset, { maxBytes: FETCH_BYTES, maxOffset: end, isolation: 'read_committed' });
            if (read.records.length === 0) break;
            const visit = (o: number, ts: number, key: Buffer | null, value: Buffer | null, headers: readonly RecordHeader[]) => {
              if (printed >= limit) return false;
              printed++;
              if (json) {
                out.push(JSON.stringify(recordToJson(topic, p, o, ts, key, value, headers)));
              } else {
                const prefix = opts.printOffset ? `${p}:${o}\t` : '';
                const k = opts.printKey ? `${key === null ? 'null' : key.toString()}\t` : '';
                out.push(`${prefix}${k}${value === null ? 'null' : value.toString()}`);
              }
              if (out.length >= 1000) flush();
            };
            offset = forEachCommittedRecord(read, visit, { fromOffset: offset });
          }
        }
        flush();
      });
    });
}
