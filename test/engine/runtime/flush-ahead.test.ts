import { test } from 'node:test';
import assert from 'node:assert/strict';
import { embedded } from '../../../src/index.js';
import { MessageTooLargeError } from '../../../src/log/errors.js';
import { FlushAheadProducer } from '../../../src/engine/runtime/flush-ahead.js';
import { openLog, readTopic, tempDir } from './helpers.js';

const record = (i: number, bytes = 8) => ({ topic: 't', partition: 0, timestamp: i, key: null, value: Buffer.alloc(bytes, i % 256), headers: [] });

test('flushAhead: one flush under way at a time; a commit waits for it and covers every record, in order', async () => {
  const { dir, cleanup } = tempDir();
  const log = await openLog(dir);
  try {
    await log.createTopic('t', { partitions: 1 });
    const conn = await embedded({ manager: log }).connect();
    const p = new FlushAheadProducer(await conn.producer({ transactionalId: 'fa' }));
    for (let i = 0; i < 100; i++) p.send(record(i));
    assert.equal(p.flushAhead(), true);
    assert.equal(p.flushing, true);
    for (let i = 100; i < 200; i++) p.send(record(i));
    assert.equal(p.flushAhead(), false, 'a second flush ahead does not start while the first is under way');
    await p.settle();
    assert.equal(p.flushing, false);
    assert.equal(p.flushAhead(), true, 'the records sent meanwhile are flushed by the next one');
    for (let i = 200; i < 300; i++) p.send(record(i));
    assert.deepEqual(readTopic(log, 't'), [], 'nothing is visible before the commit');
    await p.commitTransaction();
    assert.equal(p.flushing, false);
    assert.deepEqual(
      readTopic(log, 't').map((r) => r.timestamp),
      Array.from({ length: 300 }, (_, i) => i),
    );
    await p.close();
    await conn.close();
  } finally {
    await log.close();
    cleanup();
  }
});

test("flushAhead: a failed flush's typed error is thrown once, by the next wait; an abort drops it and discards the transaction", async () => {
  const { dir, cleanup } = tempDir();
  const log = await openLog(dir);
  try {
    await log.createTopic('t', { partitions: 1, config: { 'max.message.bytes': 1024 } });
    const conn = await embedded({ manager: log }).connect();
    const plain = new FlushAheadProducer(await conn.producer());
    plain.send(record(0, 4096));
    assert.equal(plain.flushAhead(), true);
    await assert.rejects(plain.settle(), MessageTooLargeError);
    await plain.settle(); // thrown once
    plain.send(record(1));
    await plain.flush();
    assert.deepEqual(readTopic(log, 't').map((r) => r.timestamp), [1], 'only the record that fits was appended');
    await plain.close();

    const txn = new FlushAheadProducer(await conn.producer({ transactionalId: 'fa-abort' }));
    txn.send(record(2));
    txn.send(record(3, 4096));
    assert.equal(txn.flushAhead(), true);
    await txn.abortTransaction(); // waits for the failing flush, drops its error
    await txn.settle();
    txn.send(record(4));
    await txn.commitTransaction();
    assert.deepEqual(readTopic(log, 't').map((r) => r.timestamp), [1, 4], 'the aborted transaction left nothing readable');
    await txn.close();
    await conn.close();
  } finally {
    await log.close();
    cleanup();
  }
});
