// `npm run kafka -- up|status|down` against a real Apache Kafka (KRaft) on loopback: produce and
// consume through kafkajs on 1 broker and on 3 (replication factor 3, min ISR 2).
// Skipped (with the reason) when java 17+ or mvn is missing. Uses its own ports (the first free
// block from 39092/39102 up) and its own run dirs under the OS temp dir, so it neither touches nor
// collides with a cluster a developer has up on the default ports, nor with a concurrent run of
// this test; every JVM it starts is stopped, pass or fail, and on SIGINT/SIGTERM; clusters left by
// a run that was SIGKILLed are reaped by the next run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import {
  TEST_RUN_DIR_PREFIX,
  ensureKafka,
  kafkaAvailable,
  killOnExit,
  killSync,
  pickTestPorts,
  reapStaleTestClusters,
  stopKafka,
} from '../support/kafka-cluster.js';

// kafkajs is CommonJS: Node's ESM loader does not see all of its named exports.
const { ConfigResourceTypes, Kafka, logLevel, Partitioners } = kafkajs;
type Kafka = InstanceType<typeof Kafka>;

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = join(REPO, 'scripts', 'kafka.ts');
const RUN_DIR_PREFIX = TEST_RUN_DIR_PREFIX;
// Broker ports BROKER_PORT..+2, controller ports CONTROLLER_PORT..+2: chosen in before().
let BROKER_PORT = 39092;
let CONTROLLER_PORT = 39102;

const avail = kafkaAvailable();
const skip = avail.ok ? false : `Apache Kafka cannot run here: ${avail.why}`;

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv = process.env): CliResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', SCRIPT, ...args], {
    cwd: REPO,
    env,
    encoding: 'utf8',
    timeout: 240_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A pid is gone when /proc has no live (non-zombie) process for it. */
function gone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** First block of 3 broker + 3 controller ports that is free. */
async function pickPorts(): Promise<void> {
  ({ brokerPort: BROKER_PORT, controllerPort: CONTROLLER_PORT } = await pickTestPorts());
}

const reapStale = reapStaleTestClusters;

function client(bootstrap: string): Kafka {
  return new Kafka({
    clientId: 'tributary-kafka-script-test',
    brokers: bootstrap.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 10, initialRetryTime: 200 },
  });
}

async function produceConsume(bootstrap: string, topic: string, n: number): Promise<string[]> {
  const kafka = client(bootstrap);
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true });
  await producer.connect();
  try {
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
    });
  } finally {
    await producer.disconnect();
  }
  const consumer = kafka.consumer({ groupId: `${topic}-group`, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  await consumer.connect();
  const got: string[] = [];
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumed ${got.length}/${n} records in 60 s`)), 60_000);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            got.push(`${message.key?.toString()}=${message.value?.toString()}`);
            if (got.length >= n) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return got;
}

describe('npm run kafka (real Apache Kafka)', () => {
  const runDirs: string[] = [];
  const unhooks: (() => void)[] = [];
  /** A fresh run dir whose cluster is stopped when test t ends, pass or fail (and on exit/signals). */
  function newRunDir(t: TestContext): string {
    const dir = mkdtempSync(join(tmpdir(), `${RUN_DIR_PREFIX}${process.pid}-`));
    runDirs.push(dir);
    unhooks.push(killOnExit({ runDir: dir }, { removeRunDir: true }));
    t.after(async () => {
      await stopKafka({ runDir: dir, graceMs: 10_000 }).catch(() => {});
    });
    return dir;
  }

  before(async () => {
    if (skip) return;
    reapStale();
    await pickPorts();
  });

  after(async () => {
    for (const runDir of runDirs) {
      await stopKafka({ runDir, graceMs: 10_000 }).catch(() => {});
      rmSync(runDir, { recursive: true, force: true });
    }
    for (const u of unhooks) u();
  });

  test('missing java: one-line error, exit code 3', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: '/nonexistent' };
    delete env.JAVA_HOME;
    const r = cli(['up', '--port', String(BROKER_PORT), '--run-dir', join(tmpdir(), 'tributary-kafka-nojava')], env);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /^kafka: java not found/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });

  test('a taken port: one-line error, exit code 4', { skip }, async (t) => {
    const srv: Server = createServer();
    await new Promise<void>((res) => srv.listen(CONTROLLER_PORT, '127.0.0.1', res));
    try {
      const runDir = newRunDir(t);
      const r = cli(['up', '--port', String(BROKER_PORT), '--controller-port', String(CONTROLLER_PORT), '--run-dir', runDir]);
      assert.equal(r.code, 4, r.stderr);
      assert.match(r.stderr, new RegExp(`^kafka: port 127\\.0\\.0\\.1:${CONTROLLER_PORT} is taken`));
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    } finally {
      await new Promise<void>((res) => srv.close(() => res()));
    }
  });

  test('1 broker: up, produce/consume, up again is a no-op, status, down', { skip, timeout: 300_000 }, async (t) => {
    const runDir = newRunDir(t);
    const common = ['--port', String(BROKER_PORT), '--controller-port', String(CONTROLLER_PORT), '--run-dir', runDir];

    const t0 = Date.now();
    const u = cli(['up', '--brokers', '1', '--json', ...common]);
    assert.equal(u.code, 0, u.stderr);
    const info = JSON.parse(u.stdout) as { bootstrap: string; brokers: { id: number; port: number; pid: number }[] };
    assert.equal(info.bootstrap, `127.0.0.1:${BROKER_PORT}`);
    assert.equal(info.brokers.length, 1);
    const pid = info.brokers[0]!.pid;
    assert.ok(!gone(pid));
    process.stderr.write(`# kafka up --brokers 1: ${Date.now() - t0} ms\n`);

    const got = await produceConsume(info.bootstrap, 'script-test-1', 5);
    assert.deepEqual(got.sort(), ['k0=v0', 'k1=v1', 'k2=v2', 'k3=v3', 'k4=v4']);

    // up again: same answer, same pid, nothing started.
    const again = cli(['up', '--brokers', '1', '--json', ...common]);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout), JSON.parse(u.stdout));
    // The helper for test files reuses it as well.
    const viaHelper = await ensureKafka({ brokers: 1, runDir, brokerPort: BROKER_PORT, controllerPort: CONTROLLER_PORT });
    assert.equal(viaHelper.bootstrap, info.bootstrap);
    assert.equal(viaHelper.brokers[0]!.pid, pid);

    const s = cli(['status', '--json', ...common]);
    assert.equal(s.code, 0, s.stderr);
    const st = JSON.parse(s.stdout) as { up: boolean; brokers: { state: string; rssMb?: number }[] };
    assert.equal(st.up, true);
    assert.deepEqual(st.brokers.map((b) => b.state), ['up']);
    process.stderr.write(`# kafka 1-broker RSS: ${st.brokers[0]!.rssMb} MB\n`);

    const d = cli(['down', '--json', ...common]);
    assert.equal(d.code, 0, d.stderr);
    assert.deepEqual(JSON.parse(d.stdout).stopped, [1]);
    assert.ok(gone(pid), `pid ${pid} still running after down`);
    assert.equal(existsSync(join(runDir, 'node-1')), false);

    const after = cli(['status', ...common]);
    assert.equal(after.code, 1);
    assert.match(after.stdout, /no cluster/);
  });

  test('3 brokers: replication factor 3, min ISR 2, produce/consume, down', { skip, timeout: 300_000 }, async (t) => {
    const runDir = newRunDir(t);
    const t0 = Date.now();
    const info = await ensureKafka({ brokers: 3, runDir, brokerPort: BROKER_PORT, controllerPort: CONTROLLER_PORT });
    process.stderr.write(`# kafka up --brokers 3: ${Date.now() - t0} ms\n`);
    assert.equal(info.bootstrap, [0, 1, 2].map((i) => `127.0.0.1:${BROKER_PORT + i}`).join(','));
    const pids = info.brokers.map((b) => b.pid);

    const topic = 'script-test-3';
    const admin = client(info.bootstrap).admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      assert.equal(cluster.brokers.length, 3);
      // No replication factor given: the cluster default (3) applies.
      await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
      const md = await admin.fetchTopicMetadata({ topics: [topic] });
      for (const p of md.topics[0]!.partitions) {
        assert.equal(p.replicas.length, 3);
        assert.equal(p.isr.length, 3);
      }
      // A broker learns of a new topic from the controller a moment after CreateTopics returns; until
      // then it answers UNKNOWN_TOPIC_OR_PARTITION (retriable in Kafka; kafkajs does not retry it here).
      const describe = () =>
        admin.describeConfigs({
          includeSynonyms: false,
          resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['min.insync.replicas'] }],
        });
      let configs: Awaited<ReturnType<typeof describe>> | undefined;
      for (const deadline = Date.now() + 15_000; configs === undefined; ) {
        try {
          configs = await describe();
        } catch (e) {
          if ((e as { type?: string }).type !== 'UNKNOWN_TOPIC_OR_PARTITION' || Date.now() > deadline) throw e;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      const minIsr = configs.resources[0]!.configEntries.find((e) => e.configName === 'min.insync.replicas');
      assert.equal(minIsr?.configValue, '2');

      const got = await produceConsume(info.bootstrap, topic, 6);
      assert.equal(got.length, 6);

      const offsets = await admin.fetchTopicMetadata({ topics: ['__consumer_offsets'] });
      assert.equal(offsets.topics[0]!.partitions[0]!.replicas.length, 3);
    } finally {
      await admin.disconnect();
    }

    const s = cli(['status', '--json', '--port', String(BROKER_PORT), '--controller-port', String(CONTROLLER_PORT), '--run-dir', runDir]);
    const st = JSON.parse(s.stdout) as { up: boolean; brokers: { state: string; rssMb?: number }[] };
    assert.equal(st.up, true);
    process.stderr.write(`# kafka 3-broker RSS: ${st.brokers.map((b) => b.rssMb).join(', ')} MB\n`);

    const t1 = Date.now();
    const d = await stopKafka({ runDir });
    process.stderr.write(`# kafka down (3 brokers): ${Date.now() - t1} ms, ${JSON.stringify(d)}\n`);
    assert.deepEqual([...d.stopped, ...d.killed].sort(), [1, 2, 3]);
    for (const pid of pids) assert.ok(gone(pid), `pid ${pid} still running after down`);
  });
});
