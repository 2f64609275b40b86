import type { Command } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { iterateBatches } from '../../records/batch-scan.js';
import { encodeRecordBatch } from '../../records/record-batch.js';
import type { RecordInput } from '../../records/record.js';
import { partitionForKey } from '../../records/partitioner.js';
import { withLog } from '../log-session.js';
import { positiveInt } from '../options.js';
import type { GlobalOptions } from '../main.js';

const PAGES = ['/', '/search', '/item/1', '/item/2', '/item/3', '/cart', '/checkout'];
const PARTITIONS = 4;
const BATCH = 1000;

/**
 * Until the engine's streaming demo lands, `tributary demo` (and `npm start`) proves the embedded log end to end:
 * a clickstream is appended to a fresh `clicks` topic, read back, and checked record by record.
 */
export function registerDemo(program: Command, globals: () => GlobalOptions): void {
  program
    .command('demo')
    .description('write a synthetic clickstream to the embedded log, read it back and verify it')
    .option('--events <n>', 'number of click events', positiveInt('--events'), 200_000)
    .option('--keep', 'keep the data directory (default: a temporary one, removed afterwards)')
    .addHelpText('after', '\nExamples:\n  tributary demo\n  tributary demo --events 1000000 --json')
    .action(async (opts: { events: number; keep?: boolean }) => {
      const { json, dataDir: given } = globals();
      const dataDir = opts.keep ? given : mkdtempSync(join(tmpdir(), 'tributary-demo-'));
      try {
        const summary = await withLog(dataDir, async (log) => {
          if (log.hasTopic('clicks')) await log.deleteTopic('clicks');
          await log.createTopic('clicks', { partitions: PARTITIONS });
          const start = performance.now();
          const pending: RecordInput[][] = Array.from({ length: PARTITIONS }, () => []);
          const now = Date.now();
          for (let i = 0; i < opts.events; i++) {
            const user = Buffer.from(`user-${i % 5000}`);
            const value = Buffer.from(JSON.stringify({ user: `user-${i % 5000}`, page: PAGES[i % PAGES.length], ts: now + i }));
            const p = partitionForKey(user, PARTITIONS);
            pending[p]!.push({ key: user, value, timestamp: now + i });
            if (pending[p]!.length === BATCH) {
              await log.partition('clicks', p).append(encodeRecordBatch({ records: pending[p]! }));
              pending[p] = [];
            }
          }
          for (let p = 0; p < PARTITIONS; p++) {
            if (pending[p]!.length) await log.partition('clicks', p).append(encodeRecordBatch({ records: pending[p]! }));
          }
          const written = performance.now();
          let read = 0;
          let bad = 0;
          for (let p = 0; p < PARTITIONS; p++) {
            const part = log.partition('clicks', p);
            let offset = 0;
            while (offset < part.highWatermark) {
              for (const batch of iterateBatches(part.read(offset).records)) {
                batch.verify();
                batch.forEachRecord((_o, _ts, key, value) => {
                  read++;
                  if (key === null || value === null || partitionForKey(key, PARTITIONS) !== p) bad++;
                });
                offset = batch.nextOffset;
              }
            }
          }
          const done = performance.now();
          return {
            events_written: opts.events,
            events_read: read,
            mismatches: bad,
            write_events_per_sec: Math.round(opts.events / ((written - start) / 1000)),
            read_events_per_sec: Math.round(read / ((done - written) / 1000)),
          };
        });
        if (json) process.stdout.write(`${JSON.stringify(summary)}\n`);
        else {
          process.stdout.write(
            `Wrote ${summary.events_written} click events to 4 partitions (${summary.write_events_per_sec.toLocaleString()} events/s), ` +
              `read back ${summary.events_read} (${summary.read_events_per_sec.toLocaleString()} events/s), ${summary.mismatches} mismatches.\n`,
          );
        }
        if (summary.events_read !== summary.events_written || summary.mismatches) process.exitCode = 1;
      } finally {
        if (!opts.keep) rmSync(dataDir, { recursive: true, force: true });
      }
    });
}
