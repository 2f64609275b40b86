import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LogManager, PartitionLog, TransactionCoordinator } from '../../src/log/index.js';
import { batch, openLog, tempDir } from './helpers.js';
import { consume, manualClock, markerOffsets, producerBatch } from './txn-helpers.js';

const KEYS = ['k0', 'k1', 'k2', 'k3', 'k4'];

/** Latest committed value per key, as a read_committed consumer sees the partition. */
function table(p: PartitionLog): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const r of consume(p, 'read_committed')) out.set(r.key!, r.value);
  return out;
}

async function txn(
  coord: TransactionCoordinator,
  p: PartitionLog,
  id: string,
  records: [string, string][],
  end: 'commit' | 'abort' | 'open',
): Promise<{ producerId: number; producerEpoch: number; first: number }> {
  const pid = await coord.initProducerId(id, 60_000);
  await coord.addPartitions(id, pid.producerId, pid.producerEpoch, [{ topic: p.topic, partition: p.partition }]);
  let first = -1;
  // Two batches, so a transaction spans more than one batch.
  const half = Math.ceil(records.length / 2);
  for (const [seq, part] of [[0, records.slice(0, half)], [half, records.slice(half)]] as const) {
    if (part.length === 0) continue;
    const r = await p.append(
      producerBatch(
        part.map(([, v]) => v),
        { producerId: pid.producerId, epoch: pid.producerEpoch, seq, transactional: true, keys: part.map(([k]) => k) },
      ),
    );
    if (first < 0) first = r.baseOffset;
  }
  if (end !== 'open') await coord.endTxn(id, pid.producerId, pid.producerEpoch, end === 'commit');
  return { ...pid, first };
}

async function fill(p: PartitionLog, n: number, tag: string): Promise<void> {
  for (let i = 0; i < n; i++) await p.append(batch([{ key: `filler-${tag}-${i % 4}`, value: `${tag}-${i}-${'f'.repeat(40)}` }]));
}

test('compaction keeps transactional semantics: aborted records never reappear, markers stay while their data does', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const clock = manualClock();
  let log: LogManager = await openLog(dir, { clock: clock.now });
  await log.createTopic('cc', {
    config: { 'cleanup.policy': 'compact', 'segment.bytes': 700, 'delete.retention.ms': 60_000, 'min.cleanable.dirty.ratio': 0 },
  });
  const coord = await log.transactionCoordinator({ abortTimedOutTransactionsIntervalMs: 0 });
  const p = log.partition('cc', 0);

  await txn(coord, p, 'c', KEYS.map((k) => [k, `c-${k}`]), 'commit');
  await p.append(batch([{ key: 'k9', value: 'plain-k9' }]));
  // The aborted transaction overwrites every key: it must not make the cleaner drop C's values.
  const aborted = await txn(coord, p, 'a', KEYS.map((k) => [k, `aborted-${k}`]), 'abort');
  await txn(coord, p, 'd', [['k3', 'd-k3']], 'commit');
  // A writes again (a new epoch): its aborted batches are no longer its last, so nothing of them is kept.
  // (A producer's last batch is kept, emptied, for its sequence - and holds its marker with it, as in Kafka.)
  await txn(coord, p, 'a', [['k8', 'a2-k8']], 'commit');
  await fill(p, 12, 'one');
  // An open transaction: nothing at or after its first offset may be cleaned.
  const open = await txn(coord, p, 'e', [['k1', 'open-k1']], 'open');
  await fill(p, 12, 'two');
  assert.equal(p.lastStableOffset, open.first);

  const expected = new Map<string, string | null>([
    ['k0', 'c-k0'],
    ['k1', 'c-k1'],
    ['k2', 'c-k2'],
    ['k3', 'd-k3'],
    ['k4', 'c-k4'],
    ['k9', 'plain-k9'],
    ['k8', 'a2-k8'],
  ]);
  const committedView = (): Map<string, string | null> => new Map([...table(p)].filter(([k]) => !k.startsWith('filler')));
  assert.deepEqual(committedView(), expected);
  assert.ok(consume(p, 'read_uncommitted').some((r) => r.value?.startsWith('aborted')));
  const markersBefore = markerOffsets(p);
  assert.equal(markersBefore.length, 4);

  const first = await p.clean({ force: true });
  assert.ok(first !== null);
  const segments = log.describeTopic('cc').partitions[0]!.segments;
  assert.ok(segments.length > 3);
  // Aborted data is gone from the log itself, not just hidden; committed values survive it.
  assert.ok(!consume(p, 'read_uncommitted').some((r) => r.value?.startsWith('aborted')), 'aborted records removed');
  assert.deepEqual(committedView(), expected);
  // The open transaction was not touched.
  assert.ok(consume(p, 'read_uncommitted').some((r) => r.value === 'open-k1'));
  assert.equal(p.lastStableOffset, open.first);
  // First pass: every marker kept (A's because its batches were still there when the pass began).
  assert.deepEqual(markerOffsets(p), markersBefore);

  // Second pass: A has no data left, so its marker may go - after delete.retention.ms (a consumer
  // part-way through A's range must still find it): the pass stamps its delete horizon.
  clock.advance(61_000);
  const second = await p.clean({ force: true });
  assert.ok(second !== null && second.markersRemoved === 0, JSON.stringify(second));
  assert.deepEqual(markerOffsets(p), markersBefore);
  // Past the horizon: A's abort marker goes; C's and D's commits stay (their data does).
  clock.advance(61_000);
  const third = await p.clean({ force: true });
  assert.ok(third !== null && third.markersRemoved === 1, JSON.stringify(third));
  const abortMarker = markersBefore[1]!;
  assert.deepEqual(markerOffsets(p), markersBefore.filter((o) => o !== abortMarker));
  assert.deepEqual(committedView(), expected);
  // Nothing of A is reported aborted any more: its data and marker are gone.
  assert.ok(!(p.read(0, { isolation: 'read_committed', maxBytes: 1 << 20 }).abortedTransactions ?? []).some((a) => a.producerId === aborted.producerId));

  // Abort the open transaction; clean again; reopen (uncleanly, txn indexes rebuilt): still the same view.
  await coord.endTxn('e', open.producerId, open.producerEpoch, false);
  assert.equal(p.lastStableOffset, p.highWatermark);
  await fill(p, 12, 'three');
  await p.clean({ force: true });
  assert.deepEqual(committedView(), expected);
  await log.close();
  rmSync(join(dir, '.clean-shutdown'));
  rmSync(join(dir, 'recovery-point-offset-checkpoint'));
  log = await openLog(dir, { clock: clock.now });
  const q = log.partition('cc', 0);
  const view = new Map([...table(q)].filter(([k]) => !k.startsWith('filler')));
  assert.deepEqual(view, expected);
  assert.ok(!consume(q, 'read_uncommitted').some((r) => r.value?.startsWith('aborted') || r.value === 'open-k1'));
  await log.close();
});

test('an aborted transaction whose marker is beyond the cleaned range is still removed', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const clock = manualClock();
  const log = await openLog(dir, { clock: clock.now });
  await log.createTopic('cx', { config: { 'cleanup.policy': 'compact', 'segment.bytes': 600, 'min.cleanable.dirty.ratio': 0 } });
  const coord = await log.transactionCoordinator({ abortTimedOutTransactionsIntervalMs: 0 });
  const p = log.partition('cx', 0);
  await p.append(batch([{ key: 'k0', value: 'committed-k0' }]));
  // A long transaction: data early, lots of other data, abort marker late (in a later segment).
  const a = await txn(coord, p, 'long', [['k0', 'aborted-k0']], 'open');
  await fill(p, 10, 'mid');
  await coord.endTxn('long', a.producerId, a.producerEpoch, false);
  const marker = p.logEndOffset - 1;
  // Another transaction opens right after the marker: the LSO keeps the marker's segment uncleaned.
  const blocker = await txn(coord, p, 'blocker', [['k7', 'open']], 'open');
  await fill(p, 10, 'tail');
  const segs = log.describeTopic('cx').partitions[0]!.segments;
  const markerSegment = segs.findLast((s) => s.baseOffset <= marker)!;
  assert.ok(markerSegment.baseOffset > a.first, 'data and marker in different segments');
  assert.ok(markerSegment.baseOffset <= blocker.first);
  const stats = await p.clean({ force: true });
  assert.ok(stats !== null);
  assert.ok(!consume(p, 'read_uncommitted').some((r) => r.value === 'aborted-k0'), 'aborted data removed');
  assert.deepEqual(markerOffsets(p).slice(0, 1), [marker]);
  assert.equal(table(p).get('k0'), 'committed-k0');
  await log.close();
});

test('retention never deletes the start of an open transaction; snapshots below the log start go', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const clock = manualClock();
  const log = await openLog(dir, { clock: clock.now });
  await log.createTopic('rt', { config: { 'segment.bytes': 500, 'retention.ms': 60_000 } });
  const coord = await log.transactionCoordinator({ abortTimedOutTransactionsIntervalMs: 0 });
  const p = log.partition('rt', 0);
  const old = clock.now() - 3_600_000;
  const plain = async (n: number, tag: string): Promise<void> => {
    for (let i = 0; i < n; i++) await p.append(batch([{ key: 'k', value: `${tag}-${i}-${'r'.repeat(40)}`, timestamp: old }]));
  };
  await plain(10, 'before');
  const open = await txn(coord, p, 'long', [['k', 'in-txn']], 'open');
  await plain(20, 'after');
  const segs = log.describeTopic('rt').partitions[0]!.segments;
  const holding = segs.findLast((s) => s.baseOffset <= open.first)!;
  assert.ok(holding.baseOffset > 0, 'the transaction starts after the first segment');
  // Everything is older than retention.ms, but only the segments wholly before the open transaction go.
  assert.ok((await log.runRetention()) > 0);
  assert.equal(p.logStartOffset, holding.baseOffset);
  assert.equal(p.lastStableOffset, open.first);
  const snapshots = readdirSync(join(dir, 'rt-0')).filter((f) => f.endsWith('.snapshot')).map((f) => Number(f.slice(0, 20)));
  assert.ok(snapshots.every((o) => o >= p.logStartOffset), `snapshots ${snapshots.join(',')} >= ${p.logStartOffset}`);
  await coord.endTxn('long', open.producerId, open.producerEpoch, false);
  assert.ok((await log.runRetention()) > 0);
  assert.ok(p.logStartOffset > open.first);
  await log.close();
});
