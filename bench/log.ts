/**
 * Embedded log throughput: append N records of 100-byte values in batches of 1,000 with fsync
 * 'interval' and then 'always', then read them all back sequentially, iterating every record.
 *
 *   npm run bench -- log [--records N] [--batch N] [--json] [--dir PATH]
 *
 * The append cases reuse a ring of 16 pre-encoded batches (encoding is not what is measured, and
 * the bench must not hold what it wrote in memory); the log rewrites each batch's base offset in
 * place as a producer's batch would be. 'always' keeps 64 appends in flight, so group commit is
 * what is measured there. Reading is measured twice over the same log: once decoding every record
 * with RecordBatch.forEachRecord (what the engine's consumer does), once walking every record's
 * fields in place without allocating (the cost of the log's read path plus the varint walk).
 * Peak RSS is sampled every 20 ms.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogManager, silentLogger, type FsyncPolicy, type PartitionLog } from '../src/log/index.js';
import { RecordBatch, encodeRecordBatch } from '../src/records/record-batch.js';
import { readVarint, readVarlong, type Cursor } from '../src/records/varint.js';
import { RssSampler } from './support/rss-sampler.js';

interface Options {
  records: number;
  batch: number;
  json: boolean;
  dir: string | undefined;
}

interface CaseResult {
  case: string;
  records_per_sec: number;
  mb_per_sec: number;
  peak_rss_mb: number;
}

const VALUE_SIZE = 100;
const RING = 16;
const IN_FLIGHT = 64;

function parseArgs(args: string[]): Options {
  const options: Options = { records: 10_000_000, batch: 1000, json: false, dir: undefined };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--records') options.records = Number(value());
    else if (a === '--batch') options.batch = Number(value());
    else if (a === '--dir') options.dir = value();
    else if (a === '--json') options.json = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isInteger(options.records) || options.records < 1) throw new Error('--records must be a positive integer');
  if (!Number.isInteger(options.batch) || options.batch < 1) throw new Error('--batch must be a positive integer');
  return options;
}

function progress(message: string): void {
  process.stderr.write(`[bench log] ${message}\n`);
}

function ring(batchSize: number): Buffer[] {
  const out: Buffer[] = [];
  for (let r = 0; r < RING; r++) {
    const value = Buffer.alloc(VALUE_SIZE, 97 + r);
    out.push(encodeRecordBatch({ records: Array.from({ length: batchSize }, (_, i) => ({ value, timestamp: 1_700_000_000_000 + i })) }));
  }
  return out;
}

async function appendCase(dir: string, fsync: FsyncPolicy, o: Options, rss: RssSampler): Promise<CaseResult> {
  const log = await LogManager.open({ dataDir: dir, fsync, logger: silentLogger, retentionCheckIntervalMs: 0, cleanerIntervalMs: 0 });
  await log.createTopic('bench', { config: { 'retention.ms': -1 } });
  const p = log.partition('bench', 0);
  const batches = ring(o.batch);
  const total = Math.ceil(o.records / o.batch);
  let bytes = 0;
  rss.reset();
  const start = performance.now();
  let lastReport = start;
  if (fsync === 'always') {
    const inFlight = new Set<Promise<unknown>>();
    for (let i = 0; i < total; i++) {
      const b = batches[i % RING]!;
      bytes += b.length;
      const pending = p.append(b);
      inFlight.add(pending);
      void pending.finally(() => inFlight.delete(pending));
      if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
      if ((i & 1023) === 0 && performance.now() - lastReport > 2000) {
        lastReport = performance.now();
        progress(`fsync=${fsync}: ${i * o.batch} records`);
      }
    }
    await Promise.all(inFlight);
  } else {
    for (let i = 0; i < total; i++) {
      const b = batches[i % RING]!;
      bytes += b.length;
      await p.append(b);
      if ((i & 1023) === 0 && performance.now() - lastReport > 2000) {
        lastReport = performance.now();
        progress(`fsync=${fsync}: ${i * o.batch} records`);
      }
    }
  }
  const seconds = (performance.now() - start) / 1000;
  const records = total * o.batch;
  const result: CaseResult = {
    case: `append ${VALUE_SIZE} B records, ${o.batch}/batch, fsync=${fsync}${fsync === 'always' ? ` (${IN_FLIGHT} in flight)` : ''}, reused ring of ${RING} pre-encoded batches`,
    records_per_sec: Math.round(records / seconds),
    mb_per_sec: round(bytes / seconds / 1e6),
    peak_rss_mb: round(rss.peakMb()),
  };
  progress(`${result.case}: ${result.records_per_sec} records/s, ${result.mb_per_sec} MB/s (${p.fsyncCount} fdatasyncs)`);
  await log.close();
  return result;
}

type RecordCounter = (batch: RecordBatch) => void;

async function readCase(dir: string, o: Options, rss: RssSampler, decode: boolean): Promise<CaseResult> {
  const log = await LogManager.open({ dataDir: dir, logger: silentLogger, retentionCheckIntervalMs: 0, cleanerIntervalMs: 0 });
  const p: PartitionLog = log.partition('bench', 0);
  const maxBytes = 1024 * 1024;
  let records = 0;
  let valueBytes = 0;
  const visit = (_offset: number, _timestamp: number, _key: Buffer | null, value: Buffer | null): void => {
    records++;
    if (value !== null) valueBytes += value.length;
  };
  const cursor: Cursor = { pos: 0, end: 0 };
  const count: RecordCounter = decode
    ? (b) => void b.forEachRecord(visit)
    : (b) => {
        // Every field up to the value is read; headers are skipped by the record's length.
        const data = b.recordsData();
        cursor.pos = 0;
        cursor.end = data.length;
        for (let i = b.recordCount; i > 0; i--) {
          const length = readVarint(data, cursor);
          const end = cursor.pos + length;
          cursor.pos++; // attributes
          readVarlong(data, cursor);
          readVarint(data, cursor);
          const keyLength = readVarint(data, cursor);
          if (keyLength > 0) cursor.pos += keyLength;
          const valueLength = readVarint(data, cursor);
          if (valueLength > 0) valueBytes += valueLength;
          cursor.pos = end;
          records++;
        }
      };
  rss.reset();
  const start = performance.now();
  let bytes = 0;
  let next = p.logStartOffset;
  while (next < p.highWatermark) {
    const data = p.read(next, { maxBytes }).records;
    bytes += data.length;
    for (let at = 0; at < data.length; ) {
      const b = RecordBatch.at(data, at);
      count(b);
      next = b.lastOffset + 1;
      at += b.sizeInBytes;
    }
  }
  const seconds = (performance.now() - start) / 1000;
  if (records !== p.highWatermark) throw new Error(`read ${records} records, the log holds ${p.highWatermark}`);
  if (valueBytes !== records * VALUE_SIZE) throw new Error('values read back have the wrong size');
  const how = decode ? 'every record decoded (RecordBatch.forEachRecord)' : 'every record walked in place (no allocation)';
  const result: CaseResult = {
    case: `read sequentially, ${maxBytes / 1024} KiB fetches, ${how}`,
    records_per_sec: Math.round(records / seconds),
    mb_per_sec: round(bytes / seconds / 1e6),
    peak_rss_mb: round(rss.peakMb()),
  };
  progress(`${result.case}: ${result.records_per_sec} records/s, ${result.mb_per_sec} MB/s`);
  await log.close();
  return result;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

export async function main(args: string[]): Promise<void> {
  const o = parseArgs(args);
  const root = mkdtempSync(join(o.dir ?? tmpdir(), 'tributary-bench-log-'));
  const rss = new RssSampler();
  const results: CaseResult[] = [];
  try {
    progress(`${o.records} records of ${VALUE_SIZE} B in batches of ${o.batch}, data in ${root}`);
    results.push(await appendCase(join(root, 'interval'), 'interval', o, rss));
    results.push(await appendCase(join(root, 'always'), 'always', o, rss));
    results.push(await readCase(join(root, 'interval'), o, rss, true));
    results.push(await readCase(join(root, 'interval'), o, rss, false));
  } finally {
    rss.stop();
    rmSync(root, { recursive: true, force: true });
  }
  if (o.json) {
    process.stdout.write(JSON.stringify({ bench: 'log', machine: { cpus: cpus().length, node: process.version }, results }) + '\n');
  } else {
    for (const r of results) {
      process.stdout.write(`${r.case}\n  ${r.records_per_sec.toLocaleString('en')} records/s  ${r.mb_per_sec} MB/s  peak RSS ${r.peak_rss_mb} MB\n`);
    }
  }
}
