/**
 * The broker against Apache Kafka, same client, same machine, same run:
 *
 *   npm run bench -- broker [--records N] [--size BYTES] [--partitions P] [--no-kafka] [--json]
 *
 * For each target - `tributary broker` (bench/support/broker-process.ts: the broker without the CLI,
 * fsync 'never') and a real single-node Apache Kafka started by scripts/kafka/cluster.ts in its own
 * run directory and free ports (Kafka's default flush policy: no fsync per write, the same as
 * fsync 'never') - it produces N records of SIZE bytes (default 5,000,000 x 100) with kcat
 * (librdkafka: acks=all, linger 5 ms, batches of up to 10,000), then consumes them all from the
 * beginning with kcat. The produce latency p50/p99 (produce() to delivery report, as Kafka's
 * producer perf test measures it) comes from librdkafka too, through confluent-kafka-python
 * (bench/support/librdkafka-producer.py, a bounded local queue), over a tenth of the records. It
 * prints records/s and MB/s of both phases, the latencies, the broker's CPU seconds (from /proc:
 * records per broker CPU-second is the figure that holds on a busy machine) and the
 * tributary/kafka ratios.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kafkaAvailable } from '../scripts/kafka/cluster.js';
import { cpuSeconds, withKafka, withTributaryBroker } from './support/targets.js';

const here = dirname(fileURLToPath(import.meta.url));
const TOPIC = 'bench';

interface Options {
  records: number;
  size: number;
  partitions: number;
  kafka: boolean;
  json: boolean;
}

interface PhaseResult {
  records_per_sec: number;
  mb_per_sec: number;
  broker_cpu_sec: number;
  records_per_broker_cpu_sec: number;
}

interface TargetResult {
  target: 'tributary' | 'kafka';
  produce: PhaseResult & { p50_ms: number; p99_ms: number };
  consume: PhaseResult;
}

function parseArgs(args: readonly string[]): Options {
  const o: Options = { records: 5_000_000, size: 100, partitions: 1, kafka: true, json: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const int = (name: string) => {
      const v = Number(args[++i]);
      if (!Number.isSafeInteger(v) || v <= 0) throw new Error(`${name} needs a positive integer`);
      return v;
    };
    if (a === '--records') o.records = int(a);
    else if (a === '--size') o.size = int(a);
    else if (a === '--partitions') o.partitions = int(a);
    else if (a === '--no-kafka') o.kafka = false;
    else if (a === '--json') o.json = true;
    else throw new Error(`unknown argument ${a}; usage: npm run bench -- broker [--records N] [--size BYTES] [--partitions P] [--no-kafka] [--json]`);
  }
  return o;
}

function progress(line: string): void {
  process.stderr.write(`bench broker: ${line}\n`);
}

function runProcess(cmd: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited with ${code}: ${err.slice(-2000)}`))));
  });
}

function phase(records: number, size: number, seconds: number, cpu: number): PhaseResult {
  return {
    records_per_sec: Math.round(records / seconds),
    mb_per_sec: Math.round(((records * size) / seconds / 1e6) * 10) / 10,
    broker_cpu_sec: Math.round(cpu * 100) / 100,
    records_per_broker_cpu_sec: cpu > 0 ? Math.round(records / cpu) : 0,
  };
}

/** kcat -P fed `records` lines of `size` bytes from memory (one pre-built chunk, written again and again). */
function kcatProduce(bootstrap: string, o: Options): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'kcat',
      ['-b', bootstrap, '-P', '-t', TOPIC, '-X', 'acks=all', '-X', 'linger.ms=5', '-X', 'batch.num.messages=10000', '-X', 'batch.size=1000000', '-X', 'queue.buffering.max.messages=100000'],
      { stdio: ['pipe', 'ignore', 'pipe'] },
    );
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    const start = process.hrtime.bigint();
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - start) / 1e9) : reject(new Error(`kcat -P exited with ${code}: ${err.slice(-2000)}`))));
    const line = Buffer.concat([Buffer.alloc(o.size, 'v'), Buffer.from('\n')]);
    const perChunk = 10_000;
    const chunk = Buffer.concat(Array.from({ length: perChunk }, () => line));
    let left = o.records;
    const write = () => {
      while (left > 0) {
        const n = Math.min(left, perChunk);
        left -= n;
        const ok = child.stdin!.write(n === perChunk ? chunk : chunk.subarray(0, n * line.length));
        if (!ok) return void child.stdin!.once('drain', write);
      }
      child.stdin!.end();
    };
    child.stdin!.on('error', reject);
    write();
  });
}

async function measure(target: TargetResult['target'], bootstrap: string, brokerPid: number, o: Options): Promise<TargetResult> {
  // The topic first (with its partitions), and the produce latency: librdkafka's per-record
  // delivery latency needs a callback per record, which a Python loop cannot do at full speed, so
  // it is measured on its own topic over a tenth of the records (at most 500,000).
  const latencyRecords = Math.max(1000, Math.min(500_000, Math.floor(o.records / 10)));
  progress(`${target}: produce latency over ${latencyRecords} records`);
  await runProcess('/usr/bin/python3', [join(here, 'support', 'librdkafka-producer.py'), bootstrap, TOPIC, '1', String(o.size), String(o.partitions)]);
  const latency = JSON.parse(
    await runProcess('/usr/bin/python3', [join(here, 'support', 'librdkafka-producer.py'), bootstrap, `${TOPIC}-latency`, String(latencyRecords), String(o.size), String(o.partitions)]),
  ) as { p50_ms: number; p99_ms: number };

  progress(`${target}: producing ${o.records} x ${o.size} B with kcat`);
  let cpu = cpuSeconds(brokerPid);
  const produceSeconds = await kcatProduce(bootstrap, o);
  const produceCpu = cpuSeconds(brokerPid) - cpu;
  const total = o.records + 1;

  progress(`${target}: consuming from the beginning`);
  cpu = cpuSeconds(brokerPid);
  const start = process.hrtime.bigint();
  await runProcess('kcat', ['-b', bootstrap, '-C', '-t', TOPIC, '-o', 'beginning', '-c', String(total), '-q', '-f', '', '-X', 'fetch.max.bytes=52428800']);
  const consumeSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  const consumeCpu = cpuSeconds(brokerPid) - cpu;
  const result: TargetResult = {
    target,
    produce: { ...phase(o.records, o.size, produceSeconds, produceCpu), p50_ms: latency.p50_ms, p99_ms: latency.p99_ms },
    consume: phase(total, o.size, consumeSeconds, consumeCpu),
  };
  progress(`${target}: ${JSON.stringify(result)}`);
  return result;
}

const ratio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 100) / 100 : null);

export async function main(args: string[]): Promise<void> {
  const o = parseArgs(args);
  const results: TargetResult[] = [await withTributaryBroker('broker', o.partitions, (b, pid) => measure('tributary', b, pid, o))];
  if (o.kafka) {
    const avail = kafkaAvailable();
    if (avail.ok) results.push(await withKafka('broker', progress, (b, pid) => measure('kafka', b, pid, o)));
    else progress(`no Apache Kafka to compare with: ${avail.why}`);
  }
  const [t, k] = [results[0]!, results[1]];
  const ratios =
    k === undefined
      ? null
      : {
          produce_throughput: ratio(t.produce.records_per_sec, k.produce.records_per_sec),
          consume_throughput: ratio(t.consume.records_per_sec, k.consume.records_per_sec),
          produce_p50: ratio(t.produce.p50_ms, k.produce.p50_ms),
          produce_p99: ratio(t.produce.p99_ms, k.produce.p99_ms),
          produce_per_broker_cpu_sec: ratio(t.produce.records_per_broker_cpu_sec, k.produce.records_per_broker_cpu_sec),
          consume_per_broker_cpu_sec: ratio(t.consume.records_per_broker_cpu_sec, k.consume.records_per_broker_cpu_sec),
        };
  const summary = { bench: 'broker', records: o.records, size: o.size, partitions: o.partitions, acks: 'all', fsync: 'no fsync per write (tributary never, kafka default)', results, ratios };
  if (o.json) {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  for (const r of results) {
    process.stdout.write(
      `${r.target.padEnd(9)} produce ${r.produce.records_per_sec} rec/s ${r.produce.mb_per_sec} MB/s p50 ${r.produce.p50_ms} ms p99 ${r.produce.p99_ms} ms ` +
        `(${r.produce.records_per_broker_cpu_sec} rec/broker-CPU-s) | consume ${r.consume.records_per_sec} rec/s ${r.consume.mb_per_sec} MB/s ` +
        `(${r.consume.records_per_broker_cpu_sec} rec/broker-CPU-s)\n`,
    );
  }
  if (ratios !== null) process.stdout.write(`tributary/kafka: ${JSON.stringify(ratios)}\n`);
}
