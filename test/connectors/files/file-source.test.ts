import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadLineError, FileSource, SOURCE_POSITIONS_TOPIC } from '../../../src/connectors/files/index.js';
import { partitionForKey } from '../../../src/records/partitioner.js';
import { readTopic, withLog } from './support.js';

const events = (from: number, to: number): string =>
  Array.from({ length: to - from }, (_, i) => JSON.stringify({ user: `u${(from + i) % 7}`, n: from + i }) + '\n').join('');

test('file source: a JSON Lines file into a keyed topic, each record on its key\'s partition', () =>
  withLog(async (log, dir) => {
    const path = join(dir, 'in.jsonl');
    writeFileSync(path, events(0, 100));
    const s = new FileSource({ name: 'in', log, topic: 'events', path, format: 'jsonl', keyField: 'user', partitions: 3, chunkBytes: 512 });
    const stats = await s.run();
    assert.equal(stats.records, 100);
    assert.ok(stats.transactions >= 4, `small chunks: several transactions (${stats.transactions})`);
    const got = await readTopic(log, 'events');
    assert.equal(got.length, 100);
    for (const r of got) {
      const v = JSON.parse(r.value!) as { user: string; n: number };
      assert.equal(r.key, v.user);
      assert.equal(r.partition, partitionForKey(Buffer.from(v.user), 3));
    }
    assert.deepEqual(got.map((r) => (JSON.parse(r.value!) as { n: number }).n).sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i));
  }));

test('file source: CSV with a header; a restart resumes from the stored position (header re-read), nothing twice', () =>
  withLog(async (log, dir) => {
    const path = join(dir, 'in.csv');
    writeFileSync(path, 'id,city\n1,"Paris, FR"\n2,"New\nYork"\n');
    await new FileSource({ name: 'c', log, topic: 'cities', path, format: 'csv', keyField: 'id' }).run();
    appendFileSync(path, '3,Oslo\n');
    const again = await new FileSource({ name: 'c', log, topic: 'cities', path, format: 'csv', keyField: 'id' }).run();
    assert.equal(again.records, 1);
    const got = await readTopic(log, 'cities');
    assert.deepEqual(
      got.map((r) => [r.key, JSON.parse(r.value!)]),
      [
        ['1', { id: '1', city: 'Paris, FR' }],
        ['2', { id: '2', city: 'New\nYork' }],
        ['3', { id: '3', city: 'Oslo' }],
      ],
    );
  }));

test('file source: a bad line fails with its line number after committing the lines before it', () =>
  withLog(async (log, dir) => {
    const path = join(dir, 'bad.jsonl');
    writeFileSync(path, '{"a":1}\n\n{"a":2}\n{"a":\n{"a":4}\n');
    const s = new FileSource({ name: 'b', log, topic: 't', path, format: 'jsonl' });
    await assert.rejects(s.run(), (e: unknown) => e instanceof BadLineError && e.code === 'INVALID_RECORD' && e.line === 4 && e.message.includes('bad.jsonl:4:'));
    assert.deepEqual((await readTopic(log, 't')).map((r) => r.value), ['{"a":1}', '{"a":2}']);
    // Restarted, it stops at the same line again: the position stored is the bad line's.
    await assert.rejects(new FileSource({ name: 'b', log, topic: 't', path, format: 'jsonl' }).run(), (e: unknown) => e instanceof BadLineError && e.line === 4);
    assert.equal((await readTopic(log, 't')).length, 2);
  }));

test('file source: bad lines to a dead-letter topic with the reason, file and line in headers', () =>
  withLog(async (log, dir) => {
    const path = join(dir, 'in.csv');
    writeFileSync(path, 'a,b\n1,2\n3\n4,"x"y\n5,6\n');
    const stats = await new FileSource({ name: 'd', log, topic: 'rows', path, format: 'csv', onBadLine: 'dead-letter' }).run();
    assert.deepEqual(stats, { records: 2, deadLetters: 2, transactions: 1 });
    assert.deepEqual((await readTopic(log, 'rows')).map((r) => JSON.parse(r.value!)), [{ a: '1', b: '2' }, { a: '5', b: '6' }]);
    const dead = await readTopic(log, 'rows-dlq');
    assert.deepEqual(
      dead.map((r) => [r.value, r.headers['tributary.line'], r.headers['tributary.error']]),
      [
        ['3', '3', '1 fields where the header has 2'],
        ['4,"x"y', '4', 'unexpected "y" after a closing quote'],
      ],
    );
    assert.equal(dead[0]!.headers['tributary.file'], path);
  }));

test('file source: follow mode tails a growing file (a partial last line waits), stop() ends it, a restart continues', () =>
  withLog(async (log, dir) => {
    const path = join(dir, 'grow.jsonl');
    writeFileSync(path, events(0, 5));
    const commits: number[] = [];
    let step = 0;
    const source: FileSource = new FileSource({
      name: 'g',
      log,
      topic: 'g',
      path,
      format: 'jsonl',
      follow: true,
      pollIntervalMs: 10,
      // Each commit appends the next part of the file, so the test does not depend on timing.
      onCommit: (c) => {
        commits.push(c.records);
        step++;
        if (step === 1) appendFileSync(path, events(5, 8) + '{"user":"half');
        else if (step === 2) appendFileSync(path, '","n":8}\n');
        else source.stop();
      },
    });
    await source.run();
    assert.deepEqual(commits, [5, 3, 1]);
    appendFileSync(path, events(9, 12));
    const again = await new FileSource({ name: 'g', log, topic: 'g', path, format: 'jsonl' }).run();
    assert.equal(again.records, 3);
    const ns = (await readTopic(log, 'g')).map((r) => (JSON.parse(r.value!) as { n: number }).n);
    assert.deepEqual(ns, Array.from({ length: 12 }, (_, i) => i));
    assert.ok((await log.describeTopics([SOURCE_POSITIONS_TOPIC])).get(SOURCE_POSITIONS_TOPIC)!.config['cleanup.policy'] === 'compact');
  }));

test('file source: a crash after some chunks (the run dies) and a restart write every line exactly once', () =>
  withLog(async (log, dir) => {
    const path = join(dir, 'in.jsonl');
    writeFileSync(path, events(0, 200));
    let n = 0;
    const crashing = new FileSource({
      name: 'x',
      log,
      topic: 'x',
      path,
      format: 'jsonl',
      chunkBytes: 300,
      onCommit: () => {
        if (++n === 4) throw new Error('crash');
      },
    });
    await assert.rejects(crashing.run(), /crash/);
    const partial = (await readTopic(log, 'x')).length;
    assert.ok(partial > 0 && partial < 200);
    await new FileSource({ name: 'x', log, topic: 'x', path, format: 'jsonl', chunkBytes: 300 }).run();
    const ns = (await readTopic(log, 'x')).map((r) => (JSON.parse(r.value!) as { n: number }).n);
    assert.deepEqual(ns, Array.from({ length: 200 }, (_, i) => i));
  }));

test('file source: follow mode reads a truncated (copy-truncate) and a replaced (rename) file again from its start', () =>
  withLog(async (log, dir) => {
    const path = join(dir, 'app.log.jsonl');
    writeFileSync(path, events(0, 3));
    let step = 0;
    const warnings: string[] = [];
    const source: FileSource = new FileSource({
      name: 'rot',
      log,
      topic: 'rot',
      path,
      format: 'jsonl',
      follow: true,
      pollIntervalMs: 10,
      warn: (m) => warnings.push(m),
      onCommit: () => {
        step++;
        if (step === 1) writeFileSync(path, events(3, 4)); // truncated and rewritten, shorter than before
        else if (step === 2) {
          renameSync(path, `${path}.old`);
          writeFileSync(path, events(4, 9)); // a new file under the name, longer than the old position
        } else source.stop();
      },
    });
    await source.run();
    const ns = (await readTopic(log, 'rot')).map((r) => (JSON.parse(r.value!) as { n: number }).n);
    assert.deepEqual(ns, Array.from({ length: 9 }, (_, i) => i));
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]!, /truncated/);
    assert.match(warnings[1]!, /replaced/);
  }));
