/**
 * The Kafka Streams peer (bench/peers/kafka-streams): Apache Kafka Streams 4.4 in one JVM, the
 * Nexmark queries in the Streams DSL (NexmarkTopologies.java), exactly_once_v2, reading the events
 * topic of a real Kafka broker. Built on first use: Maven copies kafka-streams and its dependencies
 * into ~/.cache/tributary/kafka-streams-peer/lib (once), javac compiles the sources when they
 * changed. The same JVM program reads topics back (read_committed) for the agreement check.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PeerRunError } from '../kafka-input.js';

const here = dirname(fileURLToPath(import.meta.url));
const SOURCES = join(here, 'src', 'main', 'java', 'dev', 'tributary', 'peers');
const CACHE = process.env.TRIBUTARY_KSTREAMS_PEER_CACHE ?? join(homedir(), '.cache', 'tributary', 'kafka-streams-peer');
const LIB = join(CACHE, 'lib');
const CLASSES = join(CACHE, 'classes');
const LIB_DONE = join(LIB, '.complete');
const MAIN = 'dev.tributary.peers.KafkaStreamsNexmark';

/** The queries NexmarkTopologies.java implements. */
export const KAFKA_STREAMS_QUERIES = ['q0', 'q1', 'q2', 'q3', 'q4', 'q5', 'q7', 'q8'];

export class KafkaStreamsPeerUnavailableError extends Error {
  readonly code = 'PEER_UNAVAILABLE';
}

/** Why the peer cannot be built here (java, javac or mvn missing), or undefined when it can. */
export function kafkaStreamsPeerMissing(): string | undefined {
  for (const tool of ['java', 'javac']) if (spawnSync(tool, ['-version'], { stdio: 'ignore' }).error) return `${tool} is not installed`;
  if (!existsSync(LIB_DONE) && spawnSync('mvn', ['-version'], { stdio: 'ignore' }).error) return 'mvn is not installed (needed once to fetch kafka-streams)';
  return undefined;
}

/** Fetches the jars (once) and compiles the peer if a source is newer than its classes; returns the classpath. */
export function ensureKafkaStreamsPeer(): string {
  const missing = kafkaStreamsPeerMissing();
  if (missing) throw new KafkaStreamsPeerUnavailableError(missing);
  if (!existsSync(LIB_DONE)) {
    mkdirSync(LIB, { recursive: true });
    execFileSync('mvn', ['-q', '-B', '-f', join(here, 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${LIB}`], { stdio: ['ignore', 'ignore', 'inherit'] });
    writeFileSync(LIB_DONE, '');
  }
  const sources = readdirSync(SOURCES).filter((f) => f.endsWith('.java')).map((f) => join(SOURCES, f));
  const stamp = join(CLASSES, '.compiled');
  const newest = Math.max(...sources.map((f) => statSync(f).mtimeMs));
  if (!existsSync(stamp) || statSync(stamp).mtimeMs < newest) {
    mkdirSync(CLASSES, { recursive: true });
    execFileSync('javac', ['-nowarn', '-d', CLASSES, '-cp', `${LIB}/*`, ...sources], { stdio: ['ignore', 'ignore', 'inherit'] });
    writeFileSync(stamp, '');
  }
  return `${CLASSES}:${LIB}/*`;
}

/** The command line of a Kafka Streams peer JVM (pinned to `cpu` with taskset when given): [command, ...args]. */
export function kafkaStreamsCommand(classpath: string, args: readonly string[], cpu?: string): string[] {
  return [...(cpu ? ['taskset', '-c', cpu] : []), 'java', '-Xmx1g', '-cp', classpath, MAIN, ...args];
}

function java(classpath: string, args: string[], cpu?: string): string {
  const [cmd, ...rest] = kafkaStreamsCommand(classpath, args, cpu);
  const r = spawnSync(cmd!, rest, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new PeerRunError(`Kafka Streams peer failed (${r.status}): ${(r.stderr ?? '').trim().split('\n').slice(-8).join('\n')}`);
  return r.stdout;
}

export interface JvmTiming {
  readonly seconds: number;
  readonly cpu_seconds: number;
}

/**
 * `repeats` runs of the query over `input` in one JVM (the later runs JIT-warm), each with a
 * fresh application id `<appId>-<i>` writing to `<output>-<i>`.
 */
export function kafkaStreamsRuns(classpath: string, bootstrap: string, input: string, query: string, output: string, appId: string, repeats: number, cpu?: string): JvmTiming[] {
  return java(classpath, ['run', bootstrap, input, query, output, appId, String(repeats)], cpu)
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as JvmTiming);
}

/** Every value of `topic` (read_committed unless told), parsed as JSON, in offset order. */
export function readTopicJson(classpath: string, bootstrap: string, topic: string, isolation: 'read_committed' | 'read_uncommitted' = 'read_committed'): Array<Record<string, unknown>> {
  return java(classpath, ['read', bootstrap, topic, isolation])
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
