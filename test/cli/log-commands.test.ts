import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { partitionForKey } from '../../src/records/partitioner.js';
import { runCli } from './run-cli.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface JsonRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: string | { base64: string } | null;
  value: string | { base64: string } | null;
  headers: Record<string, unknown>;
}

test('topics create, list, describe, delete', async (t) => {
  const d = tempDir(t);
  let r = await runCli(['-d', d, 'topics', 'create', 'orders', '--partitions', '3', '--config', 'cleanup.policy=compact']);
  assert.equal(r.code, 0, r.stderr);
  r = await runCli(['-d', d, 'topics', 'create', 'clicks']);
  assert.equal(r.code, 0, r.stderr);
  r = await runCli(['-d', d, 'topics', 'list', '--json']);
  assert.deepEqual(JSON.parse(r.stdout), ['clicks', 'orders']);
  r = await runCli(['-d', d, 'topics', 'describe', 'orders', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const desc = JSON.parse(r.stdout) as { name: string; partitions: { partition: number; logEndOffset: number }[]; config: Record<string, unknown> };
  assert.equal(desc.name, 'orders');
  assert.deepEqual(desc.partitions.map((p) => [p.partition, p.logEndOffset]), [[0, 0], [1, 0], [2, 0]]);
  assert.equal(desc.config['cleanup.policy'], 'compact');
  r = await runCli(['-d', d, 'topics', 'delete', 'clicks']);
  assert.equal(r.code, 0, r.stderr);
  r = await runCli(['-d', d, 'topics', 'list', '--json']);
  assert.deepEqual(JSON.parse(r.stdout), ['orders']);
});

test('produce keyed lines to murmur2 partitions and consume them back as JSON', async (t) => {
  const d = tempDir(t);
  assert.equal((await runCli(['-d', d, 'topics', 'create', 'clicks', '-p', '4'])).code, 0);
  const keys = Array.from({ length: 50 }, (_, i) => `user-${i}`);
  const input = keys.map((k, i) => `${k}:event-${i}`).join('\n') + '\n';
  const p = await runCli(['-d', d, 'produce', 'clicks', '--key-separator', ':'], input);
  assert.equal(p.code, 0, p.stderr);
  const c = await runCli(['-d', d, 'consume', 'clicks', '--from-beginning', '--json']);
  assert.equal(c.code, 0, c.stderr);
  const records = c.stdout.trim().split('\n').map((l) => JSON.parse(l) as JsonRecord);
  assert.equal(records.length, 50);
  for (const rec of records) {
    assert.equal(rec.topic, 'clicks');
    assert.equal(typeof rec.key, 'string');
    const i = keys.indexOf(rec.key as string);
    assert.ok(i >= 0);
    assert.equal(rec.value, `event-${i}`);
    assert.equal(rec.partition, partitionForKey(Buffer.from(rec.key as string), 4));
    assert.ok(rec.timestamp > 0);
    assert.deepEqual(rec.headers, {});
  }
  // per partition, offsets are dense from 0 and follow input order
  for (let part = 0; part < 4; part++) {
    const mine = records.filter((r) => r.partition === part);
    assert.deepEqual(mine.map((r) => r.offset), mine.map((_, i) => i));
    const order = mine.map((r) => keys.indexOf(r.key as string));
    assert.deepEqual(order, [...order].sort((a, b) => a - b));
  }
  const limited = await runCli(['-d', d, 'consume', 'clicks', '--from-beginning', '--max-messages', '7', '--print-key', '--print-offset']);
  assert.equal(limited.code, 0);
  const lines = limited.stdout.trim().split('\n');
  assert.equal(lines.length, 7);
  assert.match(lines[0]!, /^\d+:0\tuser-\d+\tevent-\d+$/);
});

test('unkeyed records spread over partitions; --partition and --offset select', async (t) => {
  const d = tempDir(t);
  await runCli(['-d', d, 'topics', 'create', 'logs', '-p', '3']);
  const input = Array.from({ length: 3000 }, (_, i) => `line ${i}`).join('\n');
  assert.equal((await runCli(['-d', d, 'produce', 'logs'], input)).code, 0);
  const desc = JSON.parse((await runCli(['-d', d, 'topics', 'describe', 'logs', '--json'])).stdout) as { partitions: { logEndOffset: number }[] };
  const ends = desc.partitions.map((p) => p.logEndOffset);
  assert.equal(ends.reduce((a, b) => a + b, 0), 3000);
  assert.ok(ends.every((e) => e > 0), `every partition got records: ${ends}`);
  const r = await runCli(['-d', d, 'consume', 'logs', '--partition', '1', '--offset', String(ends[1]! - 2), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const got = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as JsonRecord);
  assert.deepEqual(got.map((g) => [g.partition, g.offset]), [[1, ends[1]! - 2], [1, ends[1]! - 1]]);
  // explicit partition for produce
  assert.equal((await runCli(['-d', d, 'produce', 'logs', '--partition', '2'], 'x\ny\n')).code, 0);
  const after = JSON.parse((await runCli(['-d', d, 'topics', 'describe', 'logs', '--json'])).stdout) as { partitions: { logEndOffset: number }[] };
  assert.equal(after.partitions[2]!.logEndOffset, ends[2]! + 2);
});

test('binary values print as base64 in JSON', async (t) => {
  const d = tempDir(t);
  await runCli(['-d', d, 'topics', 'create', 'bin']);
  assert.equal((await runCli(['-d', d, 'produce', 'bin'], Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x0a]))).code, 0);
  const r = await runCli(['-d', d, 'consume', 'bin', '--from-beginning', '--json']);
  const rec = JSON.parse(r.stdout) as JsonRecord;
  assert.deepEqual(rec.value, { base64: Buffer.from([0xff, 0xfe, 0x00, 0x41]).toString('base64') });
});

test('bad input: one line, a code, non-zero exit, no stack trace', async (t) => {
  const d = tempDir(t);
  await runCli(['-d', d, 'topics', 'create', 'clicks', '-p', '2']);
  const cases: { args: string[]; code: number; match: RegExp }[] = [
    { args: ['topics', 'create', 'bad name'], code: 1, match: /INVALID_TOPIC_EXCEPTION/ },
    { args: ['topics', 'create', 'a'.repeat(250)], code: 1, match: /INVALID_TOPIC_EXCEPTION/ },
    { args: ['topics', 'create', 'clicks'], code: 1, match: /TOPIC_ALREADY_EXISTS/ },
    { args: ['topics', 'create', 'x', '--partitions', '0'], code: 2, match: /--partitions must be at least 1/ },
    { args: ['topics', 'create', 'x', '--config', 'retention.ms=soon'], code: 1, match: /INVALID_CONFIG/ },
    { args: ['topics', 'describe', 'nope'], code: 1, match: /UNKNOWN_TOPIC_OR_PARTITION/ },
    { args: ['topics', 'delete', 'nope'], code: 1, match: /UNKNOWN_TOPIC_OR_PARTITION/ },
    { args: ['consume', 'nope', '--from-beginning'], code: 1, match: /UNKNOWN_TOPIC_OR_PARTITION/ },
    { args: ['consume', 'clicks', '--partition', '2'], code: 1, match: /UNKNOWN_TOPIC_OR_PARTITION.*partition 2/ },
    { args: ['consume', 'clicks', '--partition', '0', '--offset', '-1'], code: 2, match: /non-negative/ },
    { args: ['consume', 'clicks', '--partition', '0', '--offset', '5'], code: 1, match: /OFFSET_OUT_OF_RANGE/ },
    { args: ['produce', 'nope'], code: 1, match: /UNKNOWN_TOPIC_OR_PARTITION/ },
    { args: ['produce', 'clicks', '--partition', '7'], code: 1, match: /UNKNOWN_TOPIC_OR_PARTITION/ },
    { args: ['no-such-command'], code: 2, match: /unknown command/ },
  ];
  for (const c of cases) {
    const r = await runCli(['-d', d, ...c.args], 'v\n');
    assert.equal(r.code, c.code, `${c.args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, c.match, c.args.join(' '));
    assert.doesNotMatch(r.stderr, /\n\s+at /, `no stack trace for ${c.args.join(' ')}`);
  }
  // nothing was written by the failed produce commands
  const desc = JSON.parse((await runCli(['-d', d, 'topics', 'describe', 'clicks', '--json'])).stdout) as { partitions: { logEndOffset: number }[] };
  assert.deepEqual(desc.partitions.map((p) => p.logEndOffset), [0, 0]);
});

test('--help lists commands, examples and exit codes', async () => {
  const r = await runCli(['--help']);
  assert.equal(r.code, 0);
  for (const word of ['topics', 'produce', 'consume', 'Exit codes']) assert.match(r.stdout, new RegExp(word));
  const p = await runCli(['produce', '--help']);
  assert.equal(p.code, 0);
  assert.match(p.stdout, /Examples:/);
});
