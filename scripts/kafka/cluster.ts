// A real Apache Kafka cluster (KRaft, combined broker+controller nodes) on 127.0.0.1, for
// development and the integration tests: `npm run kafka -- up|down|status` (scripts/kafka.ts)
// and test/support/kafka-cluster.ts both go through this module.
//
// - The broker's jars come from Maven Central through `mvn dependency:copy-dependencies`
//   (scripts/kafka/pom.xml) into a cache outside the repo ($TRIBUTARY_KAFKA_CACHE, else
//   $XDG_CACHE_HOME/tributary or ~/.cache/tributary), kafka-<version>/libs; a manifest marks
//   the cache complete, so later runs skip Maven.
// - Each node gets a directory under the run dir (default <repo>/.kafka): server.properties,
//   data/ (log.dirs, formatted by kafka.tools.StorageTool) and server.log (stdout+stderr+SLF4J).
//   cluster.json records the settings and the pids. JVMs are started detached.
// - `down` signals only pids that are still a java process whose command line names our
//   server.properties, SIGTERM then SIGKILL, and removes the run dir.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_KAFKA_VERSION = '4.4.0';
export const DEFAULT_BROKER_PORT = 19092;
export const DEFAULT_CONTROLLER_PORT = 19192;
export const HOST = '127.0.0.1';

/** Exit codes of `npm run kafka`: 3 = java/mvn missing, 4 = a port is taken, 1 = anything else. */
export const EXIT_MISSING_TOOL = 3;
export const EXIT_PORT_TAKEN = 4;
export const EXIT_FAILURE = 1;

const POM = fileURLToPath(new URL('./pom.xml', import.meta.url));
export const REPO_ROOT = resolve(dirname(POM), '..', '..');
const MAIN_CLASS = 'kafka.Kafka';
const STORAGE_TOOL = 'kafka.tools.StorageTool';
const STATE_FILE = 'cluster.json';
const LOCK_FILE = '.lock';

/** An error meant to be printed as one line, with the exit code the script should use. */
export class KafkaScriptError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
    this.name = 'KafkaScriptError';
  }
}

export interface KafkaClusterOptions {
  /** Number of combined broker+controller nodes (1 or 3). Default 1. */
  brokers?: number;
  /** Where configs, data and logs go. Default $TRIBUTARY_KAFKA_RUN_DIR or <repo>/.kafka. */
  runDir?: string;
  /** Port of node 1's broker listener; node i uses brokerPort+i-1. Default $TRIBUTARY_KAFKA_PORT or 19092. */
  brokerPort?: number;
  /** Port of node 1's controller listener. Default $TRIBUTARY_KAFKA_CONTROLLER_PORT or 19192. */
  controllerPort?: number;
  /** Apache Kafka version (Maven). Default $TRIBUTARY_KAFKA_VERSION or 4.4.0. */
  version?: string;
  /** Cache root for the jars. Default $TRIBUTARY_KAFKA_CACHE, $XDG_CACHE_HOME/tributary or ~/.cache/tributary. */
  cacheDir?: string;
  /** JVM max heap per node. Default $TRIBUTARY_KAFKA_HEAP or 512m. */
  heap?: string;
  /** How long `up` waits for every broker to serve Metadata. Default 180 s. */
  timeoutMs?: number;
  /** Progress messages (default: stderr). */
  log?: (line: string) => void;
}

export interface NodeInfo {
  id: number;
  host: string;
  port: number;
  controllerPort: number;
  pid: number;
}

export interface ClusterInfo {
  bootstrap: string;
  brokers: NodeInfo[];
  clusterId: string;
  version: string;
  runDir: string;
}

interface ClusterState {
  version: string;
  clusterId: string;
  brokers: number;
  brokerPort: number;
  controllerPort: number;
  heap: string;
  nodes: NodeInfo[];
}

interface Resolved {
  brokers: number;
  runDir: string;
  brokerPort: number;
  controllerPort: number;
  version: string;
  cacheRoot: string;
  heap: string;
  timeoutMs: number;
  log: (line: string) => void;
}

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new KafkaScriptError(`${name}=${v} is not a port number`);
  return n;
}

function resolveOptions(o: KafkaClusterOptions = {}): Resolved {
  const brokers = o.brokers ?? 1;
  if (!Number.isInteger(brokers) || brokers < 1 || brokers > 9) {
    throw new KafkaScriptError(`--brokers must be 1 or 3 (got ${String(brokers)})`);
  }
  const brokerPort = o.brokerPort ?? envInt('TRIBUTARY_KAFKA_PORT') ?? DEFAULT_BROKER_PORT;
  const controllerPort = o.controllerPort ?? envInt('TRIBUTARY_KAFKA_CONTROLLER_PORT') ?? DEFAULT_CONTROLLER_PORT;
  const bRange = [brokerPort, brokerPort + brokers - 1];
  const cRange = [controllerPort, controllerPort + brokers - 1];
  if (bRange[1]! > 65535 || cRange[1]! > 65535) throw new KafkaScriptError('port out of range');
  if (bRange[0]! <= cRange[1]! && cRange[0]! <= bRange[1]!) {
    throw new KafkaScriptError(`broker ports ${bRange.join('-')} overlap controller ports ${cRange.join('-')}`);
  }
  const xdg = process.env.XDG_CACHE_HOME;
  return {
    brokers,
    runDir: resolve(o.runDir ?? process.env.TRIBUTARY_KAFKA_RUN_DIR ?? join(REPO_ROOT, '.kafka')),
    brokerPort,
    controllerPort,
    version: o.version ?? process.env.TRIBUTARY_KAFKA_VERSION ?? DEFAULT_KAFKA_VERSION,
    cacheRoot: resolve(
      o.cacheDir ??
        process.env.TRIBUTARY_KAFKA_CACHE ??
        (xdg ? join(xdg, 'tributary') : join(homedir(), '.cache', 'tributary')),
    ),
    heap: o.heap ?? process.env.TRIBUTARY_KAFKA_HEAP ?? '512m',
    timeoutMs: o.timeoutMs ?? 180_000,
    log: o.log ?? ((line) => process.stderr.write(`kafka: ${line}\n`)),
  };
}

// ---------------------------------------------------------------------------------------------
// Tools: java (>= 17) and mvn

function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, cmd);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

export function findJava(): { path?: string; major?: number; why?: string } {
  const home = process.env.JAVA_HOME;
  const path = home && existsSync(join(home, 'bin', 'java')) ? join(home, 'bin', 'java') : which('java');
  if (!path) return { why: 'java not found (install a JDK 17+, e.g. `apt-get install openjdk-17-jre-headless`, or set JAVA_HOME)' };
  const r = spawnSync(path, ['-version'], { encoding: 'utf8', timeout: 30_000 });
  const m = /version "(\d+)(?:\.(\d+))?/.exec(`${r.stderr ?? ''}${r.stdout ?? ''}`);
  if (r.status !== 0 || !m) return { path, why: `${path} -version failed` };
  const major = m[1] === '1' ? Number(m[2]) : Number(m[1]);
  if (major < 17) return { path, major, why: `Apache Kafka 4 needs Java 17+, ${path} is Java ${major}` };
  return { path, major };
}

export function findMaven(): string | undefined {
  return which('mvn');
}

/** Can a cluster be started here? java 17+ and either mvn or an already complete jar cache. */
export function kafkaAvailable(opts: KafkaClusterOptions = {}): { ok: boolean; why?: string } {
  let r: Resolved;
  try {
    r = resolveOptions(opts);
  } catch (e) {
    return { ok: false, why: (e as Error).message };
  }
  const java = findJava();
  if (java.why) return { ok: false, why: java.why };
  if (!cacheComplete(r) && !findMaven()) {
    return { ok: false, why: 'mvn not found (needed once to fetch Apache Kafka from Maven Central: `apt-get install maven`)' };
  }
  return { ok: true };
}

function requireJava(): string {
  const j = findJava();
  if (j.why || !j.path) throw new KafkaScriptError(j.why ?? 'java not found', EXIT_MISSING_TOOL);
  return j.path;
}

// ---------------------------------------------------------------------------------------------
// Jars: mvn dependency:copy-dependencies into the cache

interface Manifest {
  version: string;
  pomSha256: string;
  jars: string[];
}

function libsDir(r: Resolved): string {
  return join(r.cacheRoot, `kafka-${r.version}`, 'libs');
}

function pomSha(): string {
  return createHash('sha256').update(readFileSync(POM)).digest('hex');
}

function cacheComplete(r: Resolved): boolean {
  const manifestPath = join(r.cacheRoot, `kafka-${r.version}`, 'manifest.json');
  try {
    const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
    if (m.version !== r.version || m.pomSha256 !== pomSha() || m.jars.length === 0) return false;
    const libs = libsDir(r);
    return m.jars.every((j) => existsSync(join(libs, j)));
  } catch {
    return false;
  }
}

/** Make sure the broker's jars are in the cache (downloading them once); returns the libs dir. */
export async function ensureLibs(opts: KafkaClusterOptions = {}): Promise<string> {
  const r = resolveOptions(opts);
  return ensureLibsResolved(r);
}

async function ensureLibsResolved(r: Resolved): Promise<string> {
  const libs = libsDir(r);
  if (cacheComplete(r)) return libs;
  const mvn = findMaven();
  if (!mvn) {
    throw new KafkaScriptError(
      'mvn not found (needed once to fetch Apache Kafka from Maven Central: `apt-get install maven`)',
      EXIT_MISSING_TOOL,
    );
  }
  const versionDir = join(r.cacheRoot, `kafka-${r.version}`);
  mkdirSync(versionDir, { recursive: true });
  const tmp = join(versionDir, `libs.tmp-${process.pid}-${Date.now()}`);
  const logPath = join(versionDir, 'mvn.log');
  r.log(`fetching Apache Kafka ${r.version} and its dependencies from Maven Central (first run; log: ${logPath})`);
  const started = Date.now();
  const code = await new Promise<number>((res) => {
    const fd = openSync(logPath, 'w');
    const child = spawn(
      mvn,
      [
        '-B',
        '--no-transfer-progress',
        '-f',
        POM,
        `-Dkafka.version=${r.version}`,
        'dependency:copy-dependencies',
        '-DincludeScope=runtime',
        `-DoutputDirectory=${tmp}`,
      ],
      { stdio: ['ignore', fd, fd], cwd: versionDir },
    );
    child.on('error', () => res(-1));
    child.on('exit', (c) => res(c ?? -1));
    closeSync(fd);
  });
  if (code !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    const errLine =
      readFileSync(logPath, 'utf8')
        .split('\n')
        .find((l) => l.includes('[ERROR]'))
        ?.replace(/\x1b\[[0-9;]*m/g, '')
        .trim() ?? `mvn exited with ${code}`;
    throw new KafkaScriptError(`could not fetch Apache Kafka ${r.version}: ${errLine} (log: ${logPath})`);
  }
  const jars = readdirSync(tmp).filter((f) => f.endsWith('.jar')).sort();
  if (!jars.some((j) => j.startsWith(`kafka_2.13-`))) {
    throw new KafkaScriptError(`Maven resolved no kafka_2.13 jar (log: ${logPath})`);
  }
  rmSync(libs, { recursive: true, force: true });
  renameSync(tmp, libs);
  const manifest: Manifest = { version: r.version, pomSha256: pomSha(), jars };
  writeAtomic(join(versionDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  r.log(`fetched ${jars.length} jars in ${((Date.now() - started) / 1000).toFixed(1)} s into ${libs}`);
  return libs;
}

// ---------------------------------------------------------------------------------------------
// Run dir, state, lock

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

function readState(runDir: string): ClusterState | undefined {
  try {
    return JSON.parse(readFileSync(join(runDir, STATE_FILE), 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function nodeDir(runDir: string, id: number): string {
  return join(runDir, `node-${id}`);
}

function configPath(runDir: string, id: number): string {
  return join(nodeDir(runDir, id), 'server.properties');
}

/** Is pid still the JVM we started for this node (java, with our server.properties on its command line)? */
function isOurJvm(pid: number, runDir: string, id: number): boolean {
  if (!Number.isInteger(pid) || pid <= 1) return false;
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return false;
  }
  const exe = argv[0] ?? '';
  return /(^|\/)java$/.test(exe) && argv.includes(configPath(runDir, id));
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** A cross-process lock on the run dir, so concurrent `up`s (parallel test files) don't race. */
async function withLock<T>(runDir: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  mkdirSync(runDir, { recursive: true });
  const lock = join(runDir, LOCK_FILE);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let holder = NaN;
      try {
        holder = Number(readFileSync(lock, 'utf8'));
      } catch {
        /* just released */
      }
      if (Number.isInteger(holder) && holder > 0 && !pidAlive(holder)) {
        rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new KafkaScriptError(`run dir ${runDir} is locked by pid ${holder}`);
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    try {
      unlinkSync(lock);
    } catch {
      /* removed by down */
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Probes

/** Resolves true when host:port accepts a listener bind (is free). */
async function portFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const srv = createServer();
    srv.once('error', () => res(false));
    srv.listen({ port, host: HOST, exclusive: true }, () => srv.close(() => res(true)));
  });
}

export interface MetadataProbe {
  clusterId: string | null;
  controllerId: number;
  brokers: { id: number; host: string; port: number }[];
}

/**
 * Sends one Metadata v4 request (no topics) to host:port and decodes the broker list: a
 * minimal Kafka wire client, so readiness needs nothing but Node.
 */
export function probeMetadata(host: string, port: number, timeoutMs = 3000): Promise<MetadataProbe> {
  return new Promise((res, rej) => {
    const clientId = Buffer.from('tributary-kafka-script');
    const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length + 4 + 1);
    let o = 0;
    o = body.writeInt16BE(3, o); // api key: Metadata
    o = body.writeInt16BE(4, o); // api version
    o = body.writeInt32BE(1, o); // correlation id
    o = body.writeInt16BE(clientId.length, o);
    o += clientId.copy(body, o);
    o = body.writeInt32BE(0, o); // topics: empty array = no topics
    body.writeInt8(0, o); // allow_auto_topic_creation
    const frame = Buffer.concat([Buffer.alloc(4), body]);
    frame.writeInt32BE(body.length, 0);

    const sock = createConnection({ host, port });
    let buf = Buffer.alloc(0);
    const done = (err: Error | null, v?: MetadataProbe): void => {
      clearTimeout(timer);
      sock.destroy();
      if (err) rej(err);
      else res(v!);
    };
    const timer = setTimeout(() => done(new Error(`no Metadata answer from ${host}:${port} in ${timeoutMs} ms`)), timeoutMs);
    sock.on('connect', () => sock.write(frame));
    sock.on('error', (e) => done(e));
    sock.on('close', () => done(new Error(`${host}:${port} closed the connection`)));
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 4) return;
      const size = buf.readInt32BE(0);
      if (buf.length < 4 + size) return;
      try {
        let p = 4;
        const int16 = (): number => {
          const v = buf.readInt16BE(p);
          p += 2;
          return v;
        };
        const int32 = (): number => {
          const v = buf.readInt32BE(p);
          p += 4;
          return v;
        };
        const str = (): string | null => {
          const n = int16();
          if (n < 0) return null;
          const s = buf.toString('utf8', p, p + n);
          p += n;
          return s;
        };
        if (int32() !== 1) throw new Error('correlation id mismatch');
        int32(); // throttle_time_ms
        const n = int32();
        const brokers: MetadataProbe['brokers'] = [];
        for (let i = 0; i < n; i++) {
          const id = int32();
          const h = str() ?? '';
          const port = int32();
          str(); // rack
          brokers.push({ id, host: h, port });
        }
        const clusterId = str();
        const controllerId = int32();
        done(null, { clusterId, controllerId, brokers });
      } catch (e) {
        done(e as Error);
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Configs

function serverProperties(r: Resolved, id: number): string {
  const n = r.brokers;
  const rf = Math.min(n, 3);
  const minIsr = rf >= 3 ? 2 : 1;
  const port = r.brokerPort + id - 1;
  const cport = r.controllerPort + id - 1;
  const quorum = Array.from({ length: n }, (_, i) => `${HOST}:${r.controllerPort + i}`).join(',');
  return [
    `# Written by scripts/kafka/cluster.ts (npm run kafka -- up): node ${id} of ${n}`,
    'process.roles=broker,controller',
    `node.id=${id}`,
    `listeners=PLAINTEXT://${HOST}:${port},CONTROLLER://${HOST}:${cport}`,
    `advertised.listeners=PLAINTEXT://${HOST}:${port}`,
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    `controller.quorum.bootstrap.servers=${quorum}`,
    `log.dirs=${join(nodeDir(r.runDir, id), 'data')}`,
    'num.partitions=1',
    `default.replication.factor=${rf}`,
    `min.insync.replicas=${minIsr}`,
    `offsets.topic.replication.factor=${rf}`,
    `transaction.state.log.replication.factor=${rf}`,
    `transaction.state.log.min.isr=${minIsr}`,
    `share.coordinator.state.topic.replication.factor=${rf}`,
    `share.coordinator.state.topic.min.isr=${minIsr}`,
    // Development cluster: start consumer groups without the 3 s join delay.
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=true',
    'delete.topic.enable=true',
    '',
  ].join('\n');
}

function kafkaUuid(): string {
  // Kafka's Uuid.randomUuid: 16 random bytes, base64url without padding, never starting with '-'.
  for (;;) {
    const s = randomBytes(16).toString('base64url');
    if (!s.startsWith('-')) return s;
  }
}

function jvmArgs(r: Resolved, libs: string, id: number, heap: string): string[] {
  return [
    `-Xmx${heap}`,
    '-Xms64m',
    '-XX:+UseSerialGC',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    '-Dorg.slf4j.simpleLogger.showDateTime=true',
    "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS",
    '-Dorg.slf4j.simpleLogger.showThreadName=false',
    `-Dtributary.kafka.node=${id}`,
    '-cp',
    join(libs, '*'),
  ];
}

async function runTool(java: string, args: string[], logPath: string): Promise<{ code: number; out: string }> {
  return new Promise((res) => {
    const child = spawn(java, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', (e) => res({ code: -1, out: String(e) }));
    child.on('close', (c) => {
      writeFileSync(logPath, out);
      res({ code: c ?? -1, out });
    });
  });
}

/** The last `lines` lines of a node's server.log: why a node stopped ('' when there is no log). */
export function nodeLogTail(opts: KafkaClusterOptions, id: number, lines = 25): string {
  try {
    return readFileSync(join(nodeDir(resolveOptions(opts).runDir, id), 'server.log'), 'utf8').split('\n').slice(-lines - 1).join('\n');
  } catch {
    return '';
  }
}

function lastError(logPath: string): string {
  let text = '';
  try {
    text = readFileSync(logPath, 'utf8');
  } catch {
    return 'no log';
  }
  const lines = text.split('\n').filter((l) => l.trim());
  const err = [...lines].reverse().find((l) => /\b(ERROR|FATAL|Exception|Error:)\b/.test(l));
  return (err ?? lines.at(-1) ?? 'empty log').trim().slice(0, 400);
}

// ---------------------------------------------------------------------------------------------
// up / down / status

function infoOf(r: Resolved, s: ClusterState): ClusterInfo {
  return {
    bootstrap: s.nodes.map((n) => `${n.host}:${n.port}`).join(','),
    brokers: s.nodes,
    clusterId: s.clusterId,
    version: s.version,
    runDir: r.runDir,
  };
}

function sameSpec(r: Resolved, s: ClusterState): boolean {
  return (
    s.brokers === r.brokers &&
    s.brokerPort === r.brokerPort &&
    s.controllerPort === r.controllerPort &&
    s.version === r.version
  );
}

async function allServeMetadata(nodes: NodeInfo[], expected: number): Promise<string | undefined> {
  for (const n of nodes) {
    try {
      const m = await probeMetadata(n.host, n.port, 2000);
      if (m.brokers.length < expected) return `node ${n.id} sees ${m.brokers.length}/${expected} brokers`;
    } catch (e) {
      return `node ${n.id}: ${(e as Error).message}`;
    }
  }
  return undefined;
}

/**
 * Start the cluster (or reuse it when it is already up with the same settings) and wait until
 * every broker serves Metadata listing all brokers.
 */
export async function up(opts: KafkaClusterOptions = {}): Promise<ClusterInfo> {
  const r = resolveOptions(opts);
  const java = requireJava();
  if (!cacheComplete(r) && !findMaven()) {
    throw new KafkaScriptError(
      'mvn not found (needed once to fetch Apache Kafka from Maven Central: `apt-get install maven`)',
      EXIT_MISSING_TOOL,
    );
  }
  const hadRunDir = existsSync(r.runDir);
  return withLock(r.runDir, r.timeoutMs, async () => {
    let state = readState(r.runDir);
    if (state) {
      const alive = state.nodes.filter((n) => isOurJvm(n.pid, r.runDir, n.id));
      if (alive.length > 0 && !sameSpec(r, state)) {
        throw new KafkaScriptError(
          `a ${state.brokers}-broker Kafka ${state.version} cluster is already up in ${r.runDir} ` +
            `(${infoOf(r, state).bootstrap}); run \`npm run kafka -- down\` first`,
        );
      }
      if (alive.length === state.nodes.length) {
        const why = await allServeMetadata(state.nodes, state.brokers);
        if (!why) return infoOf(r, state);
        // Running but not (yet) serving: wait below.
      } else if (!sameSpec(r, state)) {
        r.log(`replacing the stopped ${state.brokers}-broker cluster in ${r.runDir}`);
        wipeRunDir(r.runDir);
        state = undefined;
      }
    }

    // Every port of a node that is not running must be free before anything is written.
    const deadPorts = state
      ? state.nodes.filter((n) => !isOurJvm(n.pid, r.runDir, n.id)).flatMap((n) => [n.port, n.controllerPort])
      : Array.from({ length: r.brokers }, (_, i) => [r.brokerPort + i, r.controllerPort + i]).flat();
    for (const p of deadPorts) {
      if (!(await portFree(p))) {
        throw new KafkaScriptError(
          `port ${HOST}:${p} is taken by another process (choose others with --port/--controller-port ` +
            `or TRIBUTARY_KAFKA_PORT/TRIBUTARY_KAFKA_CONTROLLER_PORT)`,
          EXIT_PORT_TAKEN,
        );
      }
    }

    const libs = await ensureLibsResolved(r);
    const started = Date.now();
    if (!state) state = await createCluster(r, java, libs);

    // Launch every node that is not running (all of them on a fresh cluster; the dead ones of
    // a cluster whose JVMs were killed or whose machine restarted: data and config are kept).
    const toStart = state.nodes.filter((n) => !isOurJvm(n.pid, r.runDir, n.id));
    if (toStart.length > 0) {
      r.log(
        `starting ${toStart.length === state.nodes.length ? '' : `${toStart.length} of `}${state.nodes.length} ` +
          `Kafka ${state.version} node(s) on ${toStart.map((n) => n.port).join(', ')}`,
      );
    }
    for (const n of toStart) {
      n.pid = launchNode(r, java, libs, n.id, r.heap);
      writeAtomic(join(r.runDir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
    }

    try {
      await waitReady(r, state);
    } catch (e) {
      // Leave nothing half-started running: kill what this call launched (config, data and
      // logs stay for a look; `up` again retries, `down` cleans up).
      for (const n of toStart) if (isOurJvm(n.pid, r.runDir, n.id)) signal(n.pid, 'SIGKILL');
      throw e;
    }
    if (toStart.length > 0) r.log(`up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return infoOf(r, state);
  }).catch((e: unknown) => {
    // Failed before anything was written (a port taken, Maven failed): don't leave an empty run dir.
    if (!hadRunDir) {
      try {
        rmdirSync(r.runDir);
      } catch {
        /* not empty: keep it for the logs */
      }
    }
    throw e;
  });
}

async function createCluster(r: Resolved, java: string, libs: string): Promise<ClusterState> {
  mkdirSync(r.runDir, { recursive: true });
  wipeRunDir(r.runDir); // leftovers of an interrupted `up` would fail the format
  const clusterId = kafkaUuid();
  const nodes: NodeInfo[] = [];
  for (let id = 1; id <= r.brokers; id++) {
    nodes.push({ id, host: HOST, port: r.brokerPort + id - 1, controllerPort: r.controllerPort + id - 1, pid: 0 });
    mkdirSync(join(nodeDir(r.runDir, id), 'data'), { recursive: true });
    writeFileSync(configPath(r.runDir, id), serverProperties(r, id));
  }
  // KRaft dynamic quorum (KIP-853): one node formats with --standalone; several share one
  // --initial-controllers list, each with the directory id of its metadata log dir.
  const dirIds = nodes.map(() => kafkaUuid());
  const initial = nodes.map((n, i) => `${n.id}@${HOST}:${n.controllerPort}:${dirIds[i]}`).join(',');
  r.log(`formatting KRaft storage (cluster id ${clusterId})`);
  const results = await Promise.all(
    nodes.map((n) =>
      runTool(
        java,
        [
          '-Xmx256m',
          '-XX:+UseSerialGC',
          '-XX:TieredStopAtLevel=1',
          '-cp',
          join(libs, '*'),
          STORAGE_TOOL,
          'format',
          '--config',
          configPath(r.runDir, n.id),
          '--cluster-id',
          clusterId,
          ...(r.brokers === 1 ? ['--standalone'] : ['--initial-controllers', initial]),
        ],
        join(nodeDir(r.runDir, n.id), 'format.log'),
      ),
    ),
  );
  results.forEach((res, i) => {
    if (res.code !== 0) {
      const line = res.out.split('\n').filter((l) => l.trim() && !l.includes(' INFO ')).at(-1) ?? `exit ${res.code}`;
      throw new KafkaScriptError(`formatting node ${i + 1} failed: ${line.trim()}`);
    }
  });
  const state: ClusterState = {
    version: r.version,
    clusterId,
    brokers: r.brokers,
    brokerPort: r.brokerPort,
    controllerPort: r.controllerPort,
    heap: r.heap,
    nodes,
  };
  writeAtomic(join(r.runDir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
  return state;
}

function launchNode(r: Resolved, java: string, libs: string, id: number, heap: string): number {
  const dir = nodeDir(r.runDir, id);
  const fd = openSync(join(dir, 'server.log'), 'a');
  const child = spawn(java, [...jvmArgs(r, libs, id, heap), MAIN_CLASS, configPath(r.runDir, id)], {
    cwd: dir,
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  child.on('error', () => {
    /* reported by waitReady as a dead pid */
  });
  child.unref();
  if (!child.pid) throw new KafkaScriptError(`could not start ${java}`);
  return child.pid;
}

async function waitReady(r: Resolved, state: ClusterState): Promise<void> {
  const deadline = Date.now() + r.timeoutMs;
  let why = 'not probed yet';
  for (;;) {
    for (const n of state.nodes) {
      if (!isOurJvm(n.pid, r.runDir, n.id)) {
        const logPath = join(nodeDir(r.runDir, n.id), 'server.log');
        throw new KafkaScriptError(`node ${n.id} exited during start-up: ${lastError(logPath)} (log: ${logPath})`);
      }
    }
    const w = await allServeMetadata(state.nodes, state.brokers);
    if (!w) return;
    why = w;
    if (Date.now() > deadline) {
      throw new KafkaScriptError(
        `Kafka did not come up within ${Math.round(r.timeoutMs / 1000)} s (${why}); logs in ${r.runDir}/node-*/server.log`,
      );
    }
    await sleep(250);
  }
}

function wipeRunDir(runDir: string): void {
  for (const name of readdirSync(runDir)) {
    if (name === LOCK_FILE) continue;
    rmSync(join(runDir, name), { recursive: true, force: true });
  }
}

export interface DownResult {
  /** Node ids whose JVM exited after SIGTERM. */
  stopped: number[];
  /** Node ids whose JVM needed SIGKILL. */
  killed: number[];
  /** Node ids that were not running (or whose pid is no longer our JVM). */
  notRunning: number[];
}

/**
 * Stop the nodes this run dir started (SIGTERM, then SIGKILL after graceMs) and remove the run
 * dir. Only pids that are still a java process with our server.properties are signalled.
 */
export async function down(opts: KafkaClusterOptions & { graceMs?: number } = {}): Promise<DownResult> {
  const r = resolveOptions(opts);
  const result: DownResult = { stopped: [], killed: [], notRunning: [] };
  if (!existsSync(r.runDir)) return result;
  return withLock(r.runDir, 60_000, async () => {
    const state = readState(r.runDir);
    const nodes = state?.nodes ?? [];
    const ours = nodes.filter((n) => isOurJvm(n.pid, r.runDir, n.id));
    result.notRunning = nodes.filter((n) => !ours.includes(n)).map((n) => n.id);
    for (const n of ours) signal(n.pid, 'SIGTERM');
    const deadline = Date.now() + (opts.graceMs ?? 20_000);
    let left = ours;
    while (left.length > 0 && Date.now() < deadline) {
      await sleep(100);
      left = left.filter((n) => isOurJvm(n.pid, r.runDir, n.id));
    }
    result.stopped = ours.filter((n) => !left.includes(n)).map((n) => n.id);
    for (const n of left) signal(n.pid, 'SIGKILL');
    const killDeadline = Date.now() + 10_000;
    while (left.some((n) => isOurJvm(n.pid, r.runDir, n.id)) && Date.now() < killDeadline) await sleep(50);
    result.killed = left.map((n) => n.id);
    wipeRunDir(r.runDir);
    return result;
  }).then((res) => {
    rmSync(r.runDir, { recursive: true, force: true });
    return res;
  });
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/**
 * Synchronous last-resort kill of every JVM recorded in a run dir (for process 'exit' handlers in
 * tests, where nothing async runs). Same pid check as down(); does not remove files.
 */
export function killSync(opts: KafkaClusterOptions = {}): number[] {
  const r = resolveOptions(opts);
  const state = readState(r.runDir);
  const killed: number[] = [];
  for (const n of state?.nodes ?? []) {
    if (isOurJvm(n.pid, r.runDir, n.id)) {
      signal(n.pid, 'SIGKILL');
      killed.push(n.pid);
    }
  }
  return killed;
}

/**
 * Kill one node of a running cluster (fault tests: SIGKILL is a crash, SIGTERM a clean stop) and
 * wait until its JVM is gone. Its config and data stay: `up` with the same options starts it
 * again (up launches every node of the run dir that is not running). Returns the pid signalled.
 */
export async function killNode(opts: KafkaClusterOptions & { id: number; signal?: NodeJS.Signals; timeoutMs?: number }): Promise<number> {
  const r = resolveOptions(opts);
  const node = readState(r.runDir)?.nodes.find((n) => n.id === opts.id);
  if (!node) throw new KafkaScriptError(`no node ${opts.id} in ${r.runDir}`);
  if (!isOurJvm(node.pid, r.runDir, node.id)) throw new KafkaScriptError(`node ${opts.id} is not running`);
  signal(node.pid, opts.signal ?? 'SIGKILL');
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  while (isOurJvm(node.pid, r.runDir, node.id)) {
    if (Date.now() > deadline) throw new KafkaScriptError(`node ${opts.id} (pid ${node.pid}) did not exit after ${opts.signal ?? 'SIGKILL'}`);
    await sleep(50);
  }
  return node.pid;
}

export interface NodeStatus extends NodeInfo {
  /** up: serves Metadata; starting: JVM running, not serving yet; down: no JVM of ours. */
  state: 'up' | 'starting' | 'down';
  rssMb?: number;
}

export interface StatusInfo {
  up: boolean;
  bootstrap?: string;
  version?: string;
  clusterId?: string;
  runDir: string;
  brokers: NodeStatus[];
}

function rssMb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

export async function status(opts: KafkaClusterOptions = {}): Promise<StatusInfo> {
  const r = resolveOptions(opts);
  const state = readState(r.runDir);
  if (!state) return { up: false, runDir: r.runDir, brokers: [] };
  const brokers: NodeStatus[] = [];
  for (const n of state.nodes) {
    if (!isOurJvm(n.pid, r.runDir, n.id)) {
      brokers.push({ ...n, state: 'down' });
      continue;
    }
    let st: NodeStatus['state'] = 'starting';
    try {
      const m = await probeMetadata(n.host, n.port, 2000);
      if (m.brokers.length >= state.brokers) st = 'up';
    } catch {
      /* starting */
    }
    const rss = rssMb(n.pid);
    brokers.push({ ...n, state: st, ...(rss !== undefined ? { rssMb: rss } : {}) });
  }
  return {
    up: brokers.every((b) => b.state === 'up'),
    bootstrap: infoOf(r, state).bootstrap,
    version: state.version,
    clusterId: state.clusterId,
    runDir: r.runDir,
    brokers,
  };
}
