/**
 * The Flink peer (bench/peers/flink): Apache Flink 2.2 in one JVM (local MiniCluster),
 * parallelism 1, running nexmark/nexmark's SQL over a JSON-lines file of the events our generator
 * produced (byte for byte what Tributary reads from its log). Built on first use: Maven fetches
 * the Flink jars into ~/.cache/tributary/flink-peer/lib, javac compiles the peer's sources.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JsonEventBatch, NexmarkGenerator } from '../nexmark/generator.js';

const here = dirname(fileURLToPath(import.meta.url));
const PROJECT = join(here, 'flink');
const CACHE = process.env.TRIBUTARY_FLINK_PEER_CACHE ?? join(homedir(), '.cache', 'tributary', 'flink-peer');
const LIB = join(CACHE, 'lib');
const CLASSES = join(CACHE, 'classes');

/** The queries the Flink peer implements: every one Tributary has (q6 as Beam defines it, see FlinkNexmark.java). */
export const FLINK_QUERIES = ['q0', 'q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'q7', 'q8', 'q11', 'q12', 'q14', 'q15', 'q16', 'q17', 'q18', 'q19', 'q20', 'q22'];

/**
 * Queries whose rows cannot be compared, and why: the ratio is printed with this reason instead
 * of an agreement (the work done is the same: every bid counted into a window).
 */
export const NOT_COMPARABLE: Record<string, string> = {
  q12:
    'not compared: processing-time windows depend on when each system reads each event, and Flink drops the windows still open at end of input (bounded input fires no processing-time timers)',
};

export class PeerUnavailableError extends Error {
  readonly code = 'PEER_UNAVAILABLE';
}

export function ensureFlinkPeer(): string {
  for (const tool of ['java', 'javac', 'mvn']) {
    if (spawnSync(tool, ['-version'], { stdio: 'ignore' }).error) throw new PeerUnavailableError(`${tool} is not installed`);
  }
  if (!existsSync(LIB) || readdirSync(LIB).length < 10) {
    mkdirSync(LIB, { recursive: true });
    execFileSync('mvn', ['-q', '-B', '-f', join(PROJECT, 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${LIB}`], { stdio: 'inherit' });
  }
  mkdirSync(CLASSES, { recursive: true });
  const sources = join(PROJECT, 'src/main/java/dev/tributary/peers');
  const files = readdirSync(sources).filter((f) => f.endsWith('.java')).map((f) => join(sources, f));
  execFileSync('javac', ['-d', CLASSES, '-cp', `${LIB}/*`, ...files], { stdio: 'inherit' });
  return `${CLASSES}:${LIB}/*`;
}

/** Writes the first `count` events (generator defaults) as JSON lines. */
export async function writeEventsFile(path: string, count: number): Promise<void> {
  const out = createWriteStream(path);
  const gen = new NexmarkGenerator({ numEvents: count });
  const batch = new JsonEventBatch(4096);
  while (gen.fillJson(batch) > 0) {
    const lines = Buffer.allocUnsafe(batch.length + batch.count);
    let at = 0;
    for (let i = 0; i < batch.count; i++) {
      at += batch.value(i).copy(lines, at);
      lines[at++] = 10;
    }
    if (!out.write(lines.subarray(0, at))) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
}

/** The command line of a Flink peer JVM (pinned to `cpu` with taskset when given): [command, ...args]. */
export function flinkCommand(classpath: string, args: readonly string[], cpu?: string): string[] {
  return [...(cpu ? ['taskset', '-c', cpu] : []), 'java', '-Xmx1g', '-cp', classpath, 'dev.tributary.peers.FlinkNexmark', ...args];
}

function java(classpath: string, args: string[], cpu?: string): string {
  const [cmd, ...full] = flinkCommand(classpath, args, cpu);
  const r = spawnSync(cmd!, full, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`Flink peer failed (${r.status}): ${(r.stderr ?? '').split('\n').slice(-8).join('\n')}`);
  return r.stdout;
}

/** The query's result rows from Flink, each an array of column values. */
export function flinkRows(classpath: string, file: string, query: string): unknown[][] {
  return java(classpath, [file, query, 'rows'])
    .split('\n')
    .filter((l) => l.startsWith('['))
    .map((l) => JSON.parse(l) as unknown[]);
}

/** One timed Flink run (FlinkNexmark.printTiming): the whole run, and from the first event to the end. */
export interface FlinkTiming {
  seconds: number;
  cpu_seconds: number;
  seconds_from_first_event: number;
  cpu_seconds_from_first_event: number;
}
