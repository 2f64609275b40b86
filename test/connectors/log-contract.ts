/**
 * The Log contract (src/connectors/log.ts) as tests, run on every implementation that keeps its
 * data in a local directory: the embedded log (embedded.test.ts) and the embedded log served to a
 * worker thread (threads.test.ts). `connector(dir)` opens the log in `dir`; opening it twice in a
 * process shares one LogManager.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONSUMER_OFFSETS_TOPIC, ProducerFencedError, visitRecords, type FetchedPartition, type Log, type LogConnector, type LogConsumer } from '../../src/connectors/index.js';

function tmp(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-conn-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function values(fetched: readonly FetchedPartition[]): string[] {
  const out: string[] = [];
  for (const f of fetched) visitRecords(f, (_o, _t, _k, v) => void out.push(v!.toString()));
  return out;
}

async function drain(c: LogConsumer): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const f = await c.fetch(0);
    if (f.length === 0) return out;
    out.push(...values(f));
  }
}

const rec = (topic: string, partition: number, v: string) => ({ topic, partition, timestamp: 1, key: Buffer.from(v), value: Buffer.from(v), headers: [] });

export function logContract(connector: (dir: string) => LogConnector): void {
  async function withLog(fn: (log: Log, dir: string) => Promise<void>): Promise<void> {
    const { dir, cleanup } = tmp();
    const log = await connector(dir).connect();
    try {
      await fn(log, dir);
    } finally {
      await log.close();
      cleanup();
    }
  }

  test('admin: createTopics creates what is missing with its config and leaves existing topics alone', () =>
    withLog(async (log) => {
      await log.createTopics([
        { name: 'a', partitions: 3 },
        { name: 'a-changelog', partitions: 2, config: { 'cleanup.policy': 'compact' } },
      ]);
      await log.createTopics([{ name: 'a', partitions: 5 }]);
      const d = await log.describeTopics(['a', 'a-changelog', 'nope']);
      assert.equal(d.get('a')!.partitions, 3);
      assert.equal(d.get('a-changelog')!.config['cleanup.policy'], 'compact');
      assert.equal(d.has('nope'), false);
    }));

  test('admin: deleteTopics removes topics and their records (an absent one is no error); the name can be used again', () =>
    withLog(async (log) => {
      await log.createTopics([{ name: 'gone', partitions: 2 }, { name: 'stays', partitions: 1 }]);
      const p = await log.producer();
      p.send(rec('gone', 1, 'old'));
      await p.flush();
      await p.close();
      await log.deleteTopics(['gone', 'never-was']);
      const d = await log.describeTopics(['gone', 'stays']);
      assert.equal(d.has('gone'), false);
      assert.equal(d.get('stays')!.partitions, 1);
      await log.createTopics([{ name: 'gone', partitions: 2 }]);
      assert.deepEqual(await log.endOffsets([{ topic: 'gone', partition: 1 }], 'read_uncommitted'), [0]);
    }));

  test('transactions: read_committed sees committed records and offsets only; aborted ones never', () =>
    withLog(async (log) => {
      await log.createTopics([{ name: 'out', partitions: 2 }]);
      const p = await log.producer({ transactionalId: 'app-1' });
      const c = log.consumer({ isolation: 'read_committed' });
      c.assign([0, 1].map((partition) => ({ topic: 'out', partition, offset: 0 })));
      p.send(rec('out', 0, 'a'));
      p.send(rec('out', 1, 'b'));
      p.sendOffsetsToTransaction('g', [{ topic: 'in', partition: 0, offset: 10 }]);
      await p.flush(); // appended, still invisible
      assert.deepEqual(await drain(c), []);
      assert.deepEqual(await log.endOffsets([{ topic: 'out', partition: 0 }], 'read_uncommitted'), [1]);
      assert.deepEqual(await log.committedOffsets('g', [{ topic: 'in', partition: 0 }]), [-1]);
      await p.commitTransaction();
      assert.deepEqual((await drain(c)).sort(), ['a', 'b']);
      assert.deepEqual(await log.committedOffsets('g', [{ topic: 'in', partition: 0 }]), [10]);

      p.send(rec('out', 0, 'x'));
      p.sendOffsetsToTransaction('g', [{ topic: 'in', partition: 0, offset: 20 }]);
      await p.flush();
      await p.abortTransaction();
      p.send(rec('out', 0, 'c'));
      await p.commitTransaction();
      assert.deepEqual(await drain(c), ['c'], 'the aborted record is skipped');
      assert.deepEqual(await log.committedOffsets('g', [{ topic: 'in', partition: 0 }]), [10], 'aborted offsets are not committed');
      const u = log.consumer({ isolation: 'read_uncommitted' });
      u.assign([{ topic: 'out', partition: 0, offset: 0 }]);
      assert.deepEqual(await drain(u), ['a', 'x', 'c'], 'read_uncommitted sees the aborted data (markers are never visited)');
      await p.close();
    }));

  test('fencing: a second producer with the same transactional id aborts the first one’s transaction; the first can no longer write or commit', () =>
    withLog(async (log) => {
      await log.createTopics([{ name: 'out', partitions: 1 }]);
      const zombie = await log.producer({ transactionalId: 'app-1' });
      zombie.send(rec('out', 0, 'zombie'));
      zombie.sendOffsetsToTransaction('g', [{ topic: 'in', partition: 0, offset: 5 }]);
      await zombie.flush();
      const next = await log.producer({ transactionalId: 'app-1' });
      assert.equal(next.producerId, zombie.producerId);
      assert.equal(next.producerEpoch, zombie.producerEpoch + 1);
      // The zombie's open transaction was aborted: the partition is stable again.
      const [lso] = await log.endOffsets([{ topic: 'out', partition: 0 }], 'read_committed');
      const [hw] = await log.endOffsets([{ topic: 'out', partition: 0 }], 'read_uncommitted');
      assert.equal(lso, hw);
      await assert.rejects(zombie.commitTransaction(), ProducerFencedError);
      assert.throws(() => zombie.send(rec('out', 0, 'again')), ProducerFencedError);
      next.send(rec('out', 0, 'next'));
      await next.commitTransaction();
      const c = log.consumer();
      c.assign([{ topic: 'out', partition: 0, offset: 0 }]);
      assert.deepEqual(await drain(c), ['next']);
      assert.deepEqual(await log.committedOffsets('g', [{ topic: 'in', partition: 0 }]), [-1]);
    }));

  test('a crashed transaction (no commit, log reopened) is aborted when the transactional id registers again', async () => {
    const { dir, cleanup } = tmp();
    try {
      let log = await connector(dir).connect();
      await log.createTopics([{ name: 'out', partitions: 1 }]);
      const p = await log.producer({ transactionalId: 'app-1' });
      p.send(rec('out', 0, 'ok'));
      p.sendOffsetsToTransaction('g', [{ topic: 'in', partition: 0, offset: 3 }]);
      await p.commitTransaction();
      p.send(rec('out', 0, 'lost'));
      p.sendOffsetsToTransaction('g', [{ topic: 'in', partition: 0, offset: 7 }]);
      await p.flush();
      await log.close(); // like a crash: the transaction stays open in the log
      log = await connector(dir).connect();
      try {
        const [lso0] = await log.endOffsets([{ topic: 'out', partition: 0 }], 'read_committed');
        assert.equal(lso0, 2, 'the open transaction (after "ok" and its commit marker) holds read_committed readers back');
        assert.deepEqual(await log.committedOffsets('g', [{ topic: 'in', partition: 0 }]), [3]);
        await log.producer({ transactionalId: 'app-1' });
        const c = log.consumer();
        c.assign([{ topic: 'out', partition: 0, offset: 0 }]);
        assert.deepEqual(await drain(c), ['ok']);
        assert.deepEqual(await log.committedOffsets('g', [{ topic: 'in', partition: 0 }]), [3]);
      } finally {
        await log.close();
      }
    } finally {
      cleanup();
    }
  });

  test('offsets: plain commits are durable across a reopen, stored in __consumer_offsets in Kafka’s key v1 / value v3 format', async () => {
    const { dir, cleanup } = tmp();
    try {
      let log = await connector(dir).connect();
      await log.commitOffsets('grp', [
        { topic: 't', partition: 0, offset: 42 },
        { topic: 't', partition: 1, offset: 7 },
      ]);
      await log.close();
      log = await connector(dir).connect();
      try {
        assert.deepEqual(await log.committedOffsets('grp', [{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }, { topic: 't', partition: 2 }]), [42, 7, -1]);
        const c = log.consumer({ isolation: 'read_uncommitted' });
        c.assign([{ topic: CONSUMER_OFFSETS_TOPIC, partition: 0, offset: 0 }]);
        const f = await c.fetch(0);
        const seen: Array<[number, number]> = [];
        for (const x of f) visitRecords(x, (_o, _t, k, v) => void seen.push([k!.readInt16BE(0), v!.readInt16BE(0)]));
        assert.deepEqual(seen, [
          [1, 3],
          [1, 3],
        ]);
      } finally {
        await log.close();
      }
    } finally {
      cleanup();
    }
  });

  test('fetch waits for data without polling: an append wakes it at once; wakeup() ends the wait; read_committed waits for the commit', () =>
    withLog(async (log) => {
      await log.createTopics([{ name: 't', partitions: 2 }]);
      const c = log.consumer();
      c.assign([0, 1].map((partition) => ({ topic: 't', partition, offset: 0 })));
      const plain = await log.producer();
      const t0 = Date.now();
      const waiting = c.fetch(5_000);
      setTimeout(() => {
        plain.send(rec('t', 1, 'hello'));
        void plain.flush();
      }, 50);
      assert.deepEqual(values(await waiting), ['hello']);
      assert.ok(Date.now() - t0 < 2_000, 'woken by the append');
      const t1 = Date.now();
      const w2 = c.fetch(5_000);
      setTimeout(() => c.wakeup(), 30);
      assert.deepEqual(await w2, []);
      assert.ok(Date.now() - t1 < 2_000, 'woken by wakeup()');
      // Transactional data is invisible until its commit marker, which wakes the reader.
      const tx = await log.producer({ transactionalId: 'w' });
      tx.send(rec('t', 0, 'tx'));
      await tx.flush();
      const w3 = c.fetch(5_000);
      setTimeout(() => void tx.commitTransaction(), 50);
      const t2 = Date.now();
      assert.deepEqual(values(await w3), ['tx']);
      assert.ok(Date.now() - t2 < 2_000);
      // Paused partitions are not fetched.
      plain.send(rec('t', 1, 'later'));
      await plain.flush();
      c.pause([{ topic: 't', partition: 1 }]);
      assert.deepEqual(await c.fetch(0), []);
      c.resume([{ topic: 't', partition: 1 }]);
      assert.deepEqual(values(await c.fetch(0)), ['later']);
    }));

  test('the producer splits big flushes into batches under max.message.bytes', () =>
    withLog(async (log) => {
      await log.createTopics([{ name: 'big', partitions: 1 }]);
      const p = await log.producer({ transactionalId: 'big' });
      const value = Buffer.alloc(10_000, 1);
      for (let i = 0; i < 500; i++) p.send({ topic: 'big', partition: 0, timestamp: i, key: null, value, headers: [] });
      assert.ok(p.bufferedBytes >= 5_000_000);
      await p.commitTransaction();
      assert.equal(p.bufferedBytes, 0);
      const c = log.consumer();
      c.assign([{ topic: 'big', partition: 0, offset: 0 }]);
      let n = 0;
      for (;;) {
        const f = await c.fetch(0);
        if (f.length === 0) break;
        for (const x of f) visitRecords(x, () => void n++);
      }
      assert.equal(n, 500);
    }));

  test('a batch the log refuses (MESSAGE_TOO_LARGE) fails the flush; after the abort the next transaction writes every partition again', () =>
    withLog(async (log) => {
      await log.createTopics([{ name: 'refused', partitions: 2, config: { 'max.message.bytes': 1024 } }]);
      const p = await log.producer({ transactionalId: 'refused' });
      p.send(rec('refused', 0, 'first'));
      await p.commitTransaction();
      // Partition 1: a batch that fits, then one too large (refused), then one more (out of order).
      p.send(rec('refused', 1, 'aborted'));
      p.send({ topic: 'refused', partition: 1, timestamp: 1, key: null, value: Buffer.alloc(4096, 1), headers: [] });
      p.send(rec('refused', 1, 'after'));
      await assert.rejects(p.flush(), (e: Error & { code?: string }) => e.code === 'MESSAGE_TOO_LARGE');
      await p.abortTransaction();
      p.send(rec('refused', 0, 'next0'));
      p.send(rec('refused', 1, 'next1'));
      await p.commitTransaction();
      const c = log.consumer({ isolation: 'read_committed' });
      c.assign([0, 1].map((partition) => ({ topic: 'refused', partition, offset: 0 })));
      assert.deepEqual((await drain(c)).sort(), ['first', 'next0', 'next1']);
      c.close();
    }));

  test('one LogManager per data directory in a process: two connections share it (and its coordinator)', async () => {
    const { dir, cleanup } = tmp();
    try {
      const a = await connector(dir).connect();
      const b = await connector(dir).connect();
      await a.createTopics([{ name: 'x', partitions: 1 }]);
      assert.equal((await b.describeTopics(['x'])).get('x')!.partitions, 1);
      const pa = await a.producer({ transactionalId: 'same' });
      await b.producer({ transactionalId: 'same' });
      pa.send(rec('x', 0, 'v'));
      await assert.rejects(pa.commitTransaction(), ProducerFencedError);
      await a.close();
      assert.deepEqual(await b.endOffsets([{ topic: 'x', partition: 0 }]), [0], 'still open after the first close');
      await b.close();
    } finally {
      cleanup();
    }
  });

  test('a transaction larger than the topic segment.bytes is cut into batches that each fit a segment', async () => {
    await withLog(async (log) => {
      await log.createTopics([{ name: 'small-segments', partitions: 1, config: { 'segment.bytes': 4096 } }]);
      const p = await log.producer({ transactionalId: 'small-segments-tx' });
      const sent = Array.from({ length: 200 }, (_, i) => `v${i}-${'x'.repeat(150)}`);
      for (const v of sent) p.send(rec('small-segments', 0, v));
      await p.commitTransaction();
      const c = log.consumer();
      c.assign([{ topic: 'small-segments', partition: 0, offset: 0 }]);
      assert.deepEqual(await drain(c), sent);
      await p.close();
    });
  });
}
