import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Log } from '../../../src/connectors/index.js';
import { FileSink, RecordReader } from '../../../src/connectors/files/index.js';
import { withLog } from './support.js';

async function produce(log: Log, topic: string, values: readonly unknown[], partitions = 2): Promise<void> {
  await log.createTopics([{ name: topic, partitions }]);
  const p = await log.producer();
  values.forEach((v, i) => {
    p.send({ topic, partition: i % partitions, timestamp: 1, key: null, value: Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)), headers: [] });
    if (i % 10 === 9) void p.flush();
  });
  await p.flush();
  await p.close();
}

const rows = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => ({ id: from + i, name: `n${from + i}`, note: from + i === 3 ? 'a "quoted", multi\nline' : 'plain' }));

function jsonLines(path: string): unknown[] {
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

const byId = (a: { id: number | string }, b: { id: number | string }) => Number(a.id) - Number(b.id);

test('file sink: JSON Lines; a restart resumes after what is in the file; bytes a crash left after the state are cut', () =>
  withLog(async (log, dir) => {
    await produce(log, 't', rows(0, 30));
    const path = join(dir, 'out.jsonl');
    const first = await new FileSink({ name: 's', log, topic: 't', path, format: 'jsonl', maxBytesPerPartition: 200 }).run({ untilEnd: true });
    assert.equal(first.records, 30);
    assert.ok(first.flushes > 2);
    // A crash after writing more data but before recording it in the state: the bytes are there, the state does not cover them.
    // (Longer than what the restart writes next, so overwriting alone would not hide it.)
    appendFileSync(path, '{"id":999,"torn' + ' '.repeat(4000) + '\n{"id":1000}\n');
    await produce(log, 't', rows(30, 32));
    const second = await new FileSink({ name: 's', log, topic: 't', path, format: 'jsonl' }).run({ untilEnd: true });
    assert.equal(second.records, 2);
    assert.deepEqual((jsonLines(path) as Array<{ id: number }>).sort(byId), rows(0, 32));
  }));

test('file sink: CSV with a header; what the file source reads back equals what was produced (quotes, newlines)', () =>
  withLog(async (log, dir) => {
    await produce(log, 't', rows(0, 12));
    const path = join(dir, 'out.csv');
    await new FileSink({ name: 'c', log, topic: 't', path, format: 'csv', columns: ['id', 'name', 'note'] }).run({ untilEnd: true });
    const text = readFileSync(path, 'utf8');
    assert.ok(text.startsWith('id,name,note\n'));
    assert.equal(text.split('id,name,note').length, 2, 'one header');
    assert.ok(text.includes('"a ""quoted"", multi\nline"'));
    const { entries } = new RecordReader({ format: 'csv' }).read(Buffer.from(text), 0, 1, true);
    const back = entries.filter((e) => typeof e.value !== 'symbol').map((e) => e.value as Record<string, string>);
    assert.deepEqual(
      (back as Array<Record<string, string> & { id: string }>).sort(byId),
      rows(0, 12).map((r) => ({ id: String(r.id), name: r.name, note: r.note })),
    );
  }));

test('file sink: rotation by size; the rotated files and the current one hold every record once', () =>
  withLog(async (log, dir) => {
    await produce(log, 't', rows(0, 60));
    const path = join(dir, 'out.jsonl');
    const stats = await new FileSink({ name: 'r', log, topic: 't', path, format: 'jsonl', rotateBytes: 600, maxBytesPerPartition: 150 }).run({ untilEnd: true });
    assert.ok(stats.rotations >= 2, `rotated ${stats.rotations} times`);
    const files = readdirSync(dir).filter((f) => /^out\.jsonl(\.\d+)?$/.test(f));
    assert.equal(files.length, stats.rotations + 1);
    for (let i = 1; i <= stats.rotations; i++) assert.ok(existsSync(`${path}.${i}`));
    const all = files.flatMap((f) => jsonLines(join(dir, f))) as Array<{ id: number }>;
    assert.deepEqual(all.sort(byId), rows(0, 60));
    // Restarted, it appends to the current file: nothing rewritten, nothing lost.
    await produce(log, 't', rows(60, 65));
    await new FileSink({ name: 'r', log, topic: 't', path, format: 'jsonl', rotateBytes: 600 }).run({ untilEnd: true });
    const files2 = readdirSync(dir).filter((f) => /^out\.jsonl(\.\d+)?$/.test(f));
    assert.deepEqual((files2.flatMap((f) => jsonLines(join(dir, f))) as Array<{ id: number }>).sort(byId), rows(0, 65));
  }));

test('file sink: a state file of another sink is refused', () =>
  withLog(async (log, dir) => {
    await produce(log, 't', rows(0, 2));
    const path = join(dir, 'out.jsonl');
    await new FileSink({ name: 'a', log, topic: 't', path, format: 'jsonl' }).run({ untilEnd: true });
    await assert.rejects(new FileSink({ name: 'b', log, topic: 't', path, format: 'jsonl' }).run({ untilEnd: true }), { code: 'INVALID_CONFIG' });
  }));

test('file sink: a crash between a rotation\'s rename and its state write: the renamed file is taken back and continued', () =>
  withLog(async (log, dir) => {
    await produce(log, 't', rows(0, 10));
    const path = join(dir, 'out.jsonl');
    await new FileSink({ name: 'k', log, topic: 't', path, format: 'jsonl' }).run({ untilEnd: true });
    // The state says file 1 is current with its length; the rename already happened.
    renameSync(path, `${path}.1`);
    await produce(log, 't', rows(10, 15));
    await new FileSink({ name: 'k', log, topic: 't', path, format: 'jsonl' }).run({ untilEnd: true });
    assert.equal(existsSync(`${path}.1`), false);
    assert.deepEqual((jsonLines(path) as Array<{ id: number }>).sort(byId), rows(0, 15));
  }));
