import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { runCli } from './run-cli.js';
import { CliProcess, startCliBroker } from './run-cli-process.js';

const APP = fileURLToPath(new URL('./fixtures/word-lengths-app.ts', import.meta.url));

interface Listing {
  group_id: string;
  state: string;
  protocol_type: string;
  members: number;
}
interface Description {
  group_id: string;
  state: string;
  protocol_type: string;
  protocol: string | null;
  generation: number | null;
  members: Array<{ member_id: string; group_instance_id: string | null; client_id: string; client_host: string; assignment: Array<{ topic: string; partitions: number[] }> }>;
  offsets: Array<{ topic: string; partition: number; committed_offset: number; log_end_offset: number | null; lag: number | null; member_id: string | null }>;
  total_lag: number;
}

function tempDir(t: { after: (f: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-cli-groups-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('groups on the data directory: an app\'s committed offsets and lag', { timeout: 600_000 }, async (t) => {
  const dir = tempDir(t);
  // The app processes 100 words and commits; then 30 more arrive that nobody has read: lag 30.
  const run = new CliProcess(['run', APP, '--data-dir', dir, '--log-level', 'silent', '--', '--count', '100']);
  await run.waitForStderr(/fixture: all input committed/);
  run.kill('SIGINT');
  assert.equal(await run.exited, 130, run.stderr);
  const lines = Array.from({ length: 30 }, (_, i) => `w${i}\n`).join('');
  assert.equal((await runCli(['produce', 'words', '--partition', '1', '--data-dir', dir], lines)).code, 0);

  const list = await runCli(['groups', 'list', '--data-dir', dir, '--json']);
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual(JSON.parse(list.stdout) as Listing[], [{ group_id: 'word-lengths', state: 'Empty', protocol_type: '', members: 0 }]);

  const d = await runCli(['groups', 'describe', 'word-lengths', '--data-dir', dir, '--json']);
  assert.equal(d.code, 0, d.stderr);
  const g = JSON.parse(d.stdout) as Description;
  assert.equal(g.state, 'Empty');
  assert.deepEqual(g.members, []);
  assert.deepEqual(
    g.offsets.map((o) => [o.topic, o.partition, o.committed_offset, o.log_end_offset, o.lag]),
    [
      ['words', 0, 50, 50, 0],
      ['words', 1, 50, 80, 30],
    ],
  );
  assert.equal(g.total_lag, 30);

  const text = await runCli(['groups', 'describe', 'word-lengths', '--data-dir', dir]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^Group word-lengths: Empty, 0 member\(s\), total lag 30\n/);
  assert.match(text.stdout, /^words +1 +50 +80 +30 +- /m);

  const unknown = await runCli(['groups', 'describe', 'nobody', '--data-dir', dir, '--json']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /^error: GROUP_ID_NOT_FOUND: /);
  assert.equal(unknown.stdout, '');
});

test('groups via --bootstrap: a kafkajs consumer group\'s members, assignments, offsets and lag on a running broker', { timeout: 600_000 }, async (t) => {
  const dir = tempDir(t);
  assert.equal((await runCli(['topics', 'create', 'events', '--partitions', '2', '--data-dir', dir])).code, 0);
  const lines = Array.from({ length: 40 }, (_, i) => `k${i}:v${i}\n`).join('');
  assert.equal((await runCli(['produce', 'events', '--key-separator', ':', '--data-dir', dir], lines)).code, 0);

  const { broker, bootstrap } = await startCliBroker(t, dir);

  const kafka = new Kafka({ brokers: [bootstrap], clientId: 'group-test', logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: 'readers', sessionTimeout: 30_000 });
  t.after(() => consumer.disconnect().catch(() => {}));
  await consumer.connect();
  await consumer.subscribe({ topic: 'events', fromBeginning: true });
  let seen = 0;
  let resolveAll!: () => void;
  const all = new Promise<void>((r) => (resolveAll = r));
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      // Commit all but the last 5 records of the whole run: a lag the CLI must report.
      if (++seen <= 35) await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
      if (seen === 40) resolveAll();
    },
  });
  await all;

  const list = await runCli(['groups', 'list', '--bootstrap', bootstrap, '--json']);
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual(JSON.parse(list.stdout) as Listing[], [{ group_id: 'readers', state: 'Stable', protocol_type: 'consumer', members: 1 }]);

  const d = await runCli(['groups', 'describe', 'readers', '--bootstrap', bootstrap, '--json']);
  assert.equal(d.code, 0, d.stderr);
  const g = JSON.parse(d.stdout) as Description;
  assert.equal(g.state, 'Stable');
  assert.equal(g.protocol_type, 'consumer');
  assert.equal(g.members.length, 1);
  const member = g.members[0]!;
  assert.equal(member.client_id, 'group-test');
  assert.deepEqual(member.assignment, [{ topic: 'events', partitions: [0, 1] }]);
  assert.equal(g.offsets.reduce((s, o) => s + o.log_end_offset!, 0), 40);
  assert.equal(g.total_lag, 5);
  for (const o of g.offsets) {
    assert.equal(o.member_id, member.member_id);
    assert.equal(o.lag, o.log_end_offset! - o.committed_offset);
  }

  // Stopped broker: the data directory still holds the group as the coordinator stored it.
  await consumer.disconnect();
  broker.kill('SIGTERM');
  await broker.exited;
  const stored = await runCli(['groups', 'describe', 'readers', '--data-dir', dir, '--json']);
  assert.equal(stored.code, 0, stored.stderr);
  const s = JSON.parse(stored.stdout) as Description;
  assert.equal(s.total_lag, 5);
  assert.deepEqual(s.offsets.map((o) => o.committed_offset), g.offsets.map((o) => o.committed_offset));
});

test('groups --bootstrap to a port nobody listens on exits 3 (unavailable)', { timeout: 600_000 }, async () => {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const r = await runCli(['groups', 'list', '--bootstrap', `127.0.0.1:${port}`]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /^error: BROKER_NOT_AVAILABLE: cannot reach 127\.0\.0\.1:\d+/);
});
