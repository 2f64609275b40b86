import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandExists, run, startTestBroker, tempDir } from './helpers.js';

const HAS_KCAT = commandExists('kcat');
const skip = HAS_KCAT ? false : 'kcat is not installed (Debian package kcat)';

test('kcat (librdkafka): metadata, produce with each codec, consume back, consumer group resumes', { skip }, async (t) => {
  const { dir, cleanup } = tempDir();
  const broker = await startTestBroker(dir, { defaultPartitions: 1 });
  t.after(async () => {
    await broker.close();
    cleanup();
  });
  const b = `127.0.0.1:${broker.port}`;
  const kcat = (args: string[], input?: string) => run('kcat', ['-b', b, ...args], { input, timeoutMs: 30_000 });

  await broker.log.createTopic('listed', { partitions: 3 });
  const list = await kcat(['-L']);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, new RegExp(`broker 0 at 127\\.0\\.0\\.1:${broker.port} \\(controller\\)`));
  assert.match(list.stdout, /topic "listed" with 3 partitions:/);
  assert.match(list.stdout, /partition 2, leader 0, replicas: 0, isrs: 0/);

  const expected: string[] = [];
  let offset = 0;
  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
    const lines = Array.from({ length: 3 }, (_, i) => `${codec}-key-${i}:${codec} value ${i} ${'x'.repeat(200)}`);
    const produced = await kcat(['-P', '-t', 'codecs', '-K:', '-z', codec, '-X', 'acks=all'], lines.join('\n') + '\n');
    assert.equal(produced.code, 0, `${codec}: ${produced.stderr}`);
    for (const [i, l] of lines.entries()) {
      const [k, v] = l.split(':') as [string, string];
      expected.push(`${k} ${v} ${offset + i}`);
    }
    offset += lines.length;
  }
  const consumed = await kcat(['-C', '-t', 'codecs', '-o', 'beginning', '-e', '-f', '%k %s %o\n']);
  assert.equal(consumed.code, 0, consumed.stderr);
  assert.deepEqual(consumed.stdout.trimEnd().split('\n'), expected);

  // A balanced consumer (JoinGroup/SyncGroup/OffsetCommit through librdkafka) reads everything and
  // commits; the next one in the group starts after the committed offsets.
  const group = await kcat(['-G', 'kgroup', '-X', 'auto.offset.reset=earliest', '-e', '-f', '%s\n', 'codecs']);
  assert.equal(group.code, 0, group.stderr);
  assert.equal(group.stdout.trimEnd().split('\n').length, 15);
  const more = await kcat(['-P', '-t', 'codecs'], 'after commit\n');
  assert.equal(more.code, 0, more.stderr);
  const resumed = await kcat(['-G', 'kgroup', '-X', 'auto.offset.reset=earliest', '-e', '-f', '%s %o\n', 'codecs']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(resumed.stdout.trimEnd(), 'after commit 15');

  // Produce to a partition the topic does not have: the error reaches kcat.
  const bad = await kcat(['-P', '-t', 'listed', '-p', '9'], 'x\n');
  assert.notEqual(bad.stderr.match(/Unknown partition|UNKNOWN_PARTITION|not exist|unknown/i), null, bad.stderr);
  assert.equal(broker.logger.lines.filter((l) => l.startsWith('warn')).length, 0, broker.logger.lines.join('\n'));
});
