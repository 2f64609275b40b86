/**
 * What the benches that compare `tributary broker` with Apache Kafka share: free ports, a
 * process's CPU time, and each target started for one measurement and stopped after it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { down, up } from '../../scripts/kafka/cluster.js';
import { statCpuSeconds } from './thread-cpu.js';

const here = dirname(fileURLToPath(import.meta.url));
/** utime + stime of a process, in seconds. */
export function cpuSeconds(pid: number): number {
  return statCpuSeconds(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Two different free ports (Kafka's broker and controller listeners). */
export async function freePorts(): Promise<[number, number]> {
  for (;;) {
    const [a, b] = [await freePort(), await freePort()];
    if (a !== b) return [a, b];
  }
}

/** `tributary broker` (bench/support/broker-process.ts) in a fresh data dir with `partitions` per new topic, for `body`. */
export async function withTributaryBroker<T>(name: string, partitions: number, body: (bootstrap: string, pid: number) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), `tributary-bench-${name}-broker-`));
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'broker-process.ts'), String(port), dir, String(partitions)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout!.setEncoding('utf8').on('data', (d: string) => d.includes('listening') && resolve());
      child.once('exit', (code) => reject(new Error(`the broker exited with ${code} before listening`)));
    });
    return await body(`127.0.0.1:${port}`, child.pid!);
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A one-node Apache Kafka (scripts/kafka/cluster.ts, 1 GB heap) on free ports, for `body`. */
export async function withKafka<T>(name: string, progress: (line: string) => void, body: (bootstrap: string, pid: number) => Promise<T>): Promise<T> {
  const runDir = mkdtempSync(join(tmpdir(), `tributary-bench-${name}-kafka-`));
  const [brokerPort, controllerPort] = await freePorts();
  const opts = { runDir, brokerPort, controllerPort, brokers: 1, heap: '1g', log: progress };
  try {
    const info = await up(opts);
    return await body(info.bootstrap, info.brokers[0]!.pid);
  } finally {
    await down(opts).catch((e: unknown) => progress(`stopping kafka: ${String(e)}`));
    rmSync(runDir, { recursive: true, force: true });
  }
}
