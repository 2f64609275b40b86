// `tributary run --ui-port` of a scaleOut application announces its dashboard to the group: two
// `tributary run` processes on `tributary broker` each answer a query for every key, whichever
// of them owns it (the dashboard's URL becomes the app's applicationServer).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { partitionForKey } from '../../src/records/partitioner.js';
import { CliProcess, startCliBroker } from '../cli/run-cli-process.js';
import { open, produceVia, type In } from '../connectors/kafka/logs.js';
import { eventually } from './fixture.js';
import { INPUT } from './fixtures/iq-run-app.js';

const APP = fileURLToPath(new URL('./fixtures/iq-run-app.ts', import.meta.url));
const PARTITIONS = 4;
const TOKEN = 'iq-run-cli-shared-token-0123456789';

test('two `tributary run --ui-port` processes of a scaleOut app answer every key between them', { timeout: 600_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-iq-run-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { broker, bootstrap } = await startCliBroker(t, join(dir, 'broker'));
  const { admin } = await open(bootstrap);
  t.after(() => admin.close());
  await admin.createTopics([{ name: INPUT, partitions: PARTITIONS }]);
  const expected = new Map<string, number>();
  const records: In[] = [];
  for (let i = 0; i < 200; i++) {
    const user = `user-${i % 16}`;
    records.push({ key: user, value: JSON.stringify({ user }), timestamp: 1_700_000_000_000 + i });
    expected.set(user, (expected.get(user) ?? 0) + 1);
  }
  await produceVia(admin, INPUT, records);

  const runs = ['a', 'b'].map(
    (id) => new CliProcess(['run', APP, '--brokers', bootstrap, '--data-dir', join(dir, id), '--ui-port', '0', '--ui-token', TOKEN, '--log-level', 'warn', '--', id]),
  );
  t.after(() => {
    for (const r of runs) if (r.child.exitCode === null) r.kill('SIGKILL');
  });
  const urls: string[] = [];
  for (const r of runs) {
    await r.waitForStderr(/Tributary dashboard on (\S+) /);
    urls.push(/Tributary dashboard on (\S+) /.exec(r.stderr)![1]!);
  }
  const answers = async (url: string): Promise<Map<string, number>> => {
    const out = new Map<string, number>();
    for (const user of expected.keys()) {
      const res = await fetch(new URL(`/api/state/per-user?key=${user}`, url), { headers: { authorization: `Bearer ${TOKEN}` } });
      if (res.status !== 200) continue;
      const body = (await res.json()) as { entries: Array<{ value: number; partition: number }> };
      if (body.entries.length === 1 && body.entries[0]!.partition === partitionForKey(Buffer.from(user), PARTITIONS)) out.set(user, body.entries[0]!.value);
    }
    return out;
  };
  // Both in the group (each owning some partitions) and both answering every key right.
  await eventually(
    async () => {
      const [a, b] = await Promise.all(urls.map(answers));
      return JSON.stringify([...a!].sort()) === JSON.stringify([...expected].sort()) && JSON.stringify([...b!].sort()) === JSON.stringify([...expected].sort()) ? true : undefined;
    },
    'both processes answering every key',
    240_000,
  );
  // Each process runs only some of the tasks: the per-task metrics of each name a strict subset.
  const owned = await Promise.all(
    urls.map(async (url) => {
      const m = (await (await fetch(new URL('/api/metrics', url), { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { application: { tasks: Array<{ partition: number }> } };
      return new Set(m.application.tasks.map((task) => task.partition));
    }),
  );
  assert.ok(owned.every((s) => s.size > 0 && s.size < PARTITIONS), `each process owns a share: ${owned.map((s) => [...s].join(',')).join(' | ')}`);
  for (const r of runs) r.kill('SIGTERM');
  for (const r of runs) assert.equal(await r.exited, 143, r.stderr);
  broker.kill('SIGTERM');
  await broker.exited;
});
