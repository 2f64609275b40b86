import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { LogManager } from '../../src/log/index.js';
import { batch, memoryLogger, openLog, readAll, recordsOf, tempDir, valuesBatch } from './helpers.js';

const seg = (base: number, ext: string): string => `${String(base).padStart(20, '0')}.${ext}`;

test('a torn tail (half a batch, then garbage) is cut back to the last valid batch, once, with a log line', async (t) => {
  for (const clean of [true, false]) {
    const { dir, cleanup } = tempDir();
    t.after(cleanup);
    const log = await openLog(dir);
    await log.createTopic('t', { config: { 'index.interval.bytes': 100 } });
    const p = log.partition('t', 0);
    const sizes: number[] = [];
    for (let i = 0; i < 30; i++) {
      const b = valuesBatch(`b${i}-`, 1 + (i % 4));
      sizes.push(b.length);
      await p.append(b);
    }
    const end = p.logEndOffset;
    const lastBatchRecords = 1 + (29 % 4);
    await log.close();
    if (!clean) rmSync(join(dir, '.clean-shutdown'));

    const file = join(dir, 't-0', seg(0, 'log'));
    const full = statSync(file).size;
    const validSize = full - sizes[29]!;
    truncateSync(file, validSize + Math.floor(sizes[29]! / 2));
    appendFileSync(file, randomBytes(777));

    const logger = memoryLogger();
    const again = await LogManager.open({ dataDir: dir, logger, retentionCheckIntervalMs: 0, cleanerIntervalMs: 0 });
    const q = again.partition('t', 0);
    assert.equal(q.logEndOffset, end - lastBatchRecords);
    assert.equal(statSync(file).size, validSize);
    const truncations = logger.lines.filter((l) => l.includes('truncated'));
    assert.equal(truncations.length, 1, logger.lines.join('\n'));
    assert.match(truncations[0]!, /t-0: truncated .*00000000000000000000\.log at byte \d+/);
    // The index was rebuilt: every remaining offset is found; none past the cut.
    const values = readAll(q).map((r) => r.value);
    assert.equal(values.length, end - lastBatchRecords);
    assert.equal(values[0], 'b0-0');
    assert.equal(values.at(-1), 'b28-0');
    const indexBytes = readFileSync(join(dir, 't-0', seg(0, 'index')));
    assert.equal(indexBytes.length % 8, 0);
    for (let i = 0; i < indexBytes.length; i += 8) assert.ok(indexBytes.readInt32BE(i + 4) < validSize);
    // Appends continue at the right offset.
    const r = await q.append(valuesBatch('after', 2));
    assert.equal(r.baseOffset, end - lastBatchRecords);
    assert.deepEqual(readAll(q).slice(-2).map((x) => x.value), ['after0', 'after1']);
    await again.close();
    // Nothing more to cut the second time.
    const logger2 = memoryLogger();
    const third = await LogManager.open({ dataDir: dir, logger: logger2 });
    assert.equal(logger2.lines.filter((l) => l.includes('truncated')).length, 0);
    assert.equal(third.partition('t', 0).logEndOffset, end - lastBatchRecords + 2);
    await third.close();
  }
});

test('a zero-filled tail (what a power cut can leave) and a bad CRC in the last batch are cut too', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const log = await openLog(dir);
  await log.createTopic('t');
  const p = log.partition('t', 0);
  for (let i = 0; i < 5; i++) await p.append(valuesBatch(`b${i}-`, 3));
  await log.close();
  const file = join(dir, 't-0', seg(0, 'log'));
  const data = readFileSync(file);
  // Flip a byte inside the last batch's records: its CRC no longer matches.
  data[data.length - 3]! ^= 0x55;
  writeFileSync(file, Buffer.concat([data, Buffer.alloc(4096)]));
  const again = await openLog(dir);
  const q = again.partition('t', 0);
  assert.equal(q.logEndOffset, 12);
  assert.deepEqual(readAll(q).map((r) => r.offset), Array.from({ length: 12 }, (_, i) => i));
  await again.close();
});

test('missing, corrupt or torn index files are rebuilt and reads stay right', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const log = await openLog(dir);
  await log.createTopic('t', { config: { 'segment.bytes': 3000, 'index.interval.bytes': 150 } });
  const p = log.partition('t', 0);
  const expected: string[] = [];
  for (let i = 0; i < 200; i++) {
    const records = Array.from({ length: 1 + (i % 5) }, (_, j) => ({ key: 'k', value: `b${i}-${j}`, timestamp: 10_000 + i * 10 + j }));
    await p.append(batch(records));
    expected.push(...records.map((r) => r.value));
  }
  const segments = log.describeTopic('t').partitions[0]!.segments.map((s) => s.baseOffset);
  assert.ok(segments.length >= 6);
  await log.close();
  const pdir = join(dir, 't-0');
  rmSync(join(pdir, seg(segments[0]!, 'index')));
  const idx1 = join(pdir, seg(segments[1]!, 'index'));
  writeFileSync(idx1, randomBytes(statSync(idx1).size));
  const tidx2 = join(pdir, seg(segments[2]!, 'timeindex'));
  truncateSync(tidx2, statSync(tidx2).size - 5);
  rmSync(join(pdir, seg(segments[3]!, 'timeindex')));
  // An index that is well formed but points into the middle of batches.
  const idx4 = join(pdir, seg(segments[4]!, 'index'));
  const shifted = readFileSync(idx4);
  for (let i = 0; i < shifted.length; i += 8) shifted.writeInt32BE(shifted.readInt32BE(i + 4) + 3, i + 4);
  writeFileSync(idx4, shifted);

  const logger = memoryLogger();
  const again = await LogManager.open({ dataDir: dir, logger });
  const q = again.partition('t', 0);
  assert.deepEqual(readAll(q).map((r) => r.value), expected);
  for (let o = 0; o < expected.length; o++) {
    const rec = recordsOf(q.read(o, { maxBytes: 1 }).records).find((r) => r.offset === o);
    assert.equal(rec?.value, expected[o], `offset ${o}`);
  }
  assert.deepEqual(q.offsetForTimestamp(10_000 + 60 * 10), { offset: expected.indexOf('b60-0'), timestamp: 10_600 });
  assert.ok(logger.lines.some((l) => l.includes('rebuilding')), logger.lines.join('\n'));
  await again.close();
  // Rebuilt files are whole again.
  for (const base of segments.slice(0, 5)) {
    assert.equal(statSync(join(pdir, seg(base, 'index'))).size % 8, 0);
    assert.equal(statSync(join(pdir, seg(base, 'timeindex'))).size % 12, 0);
  }
  const third = await openLog(dir);
  assert.deepEqual(readAll(third.partition('t', 0)).map((r) => r.value), expected);
  await third.close();
});

test('a crash during the compaction swap recovers at every step', async (t) => {
  // Build the log before (A) and after (B) one compaction of a multi-segment group.
  const base = tempDir();
  t.after(base.cleanup);
  const A = join(base.dir, 'A');
  const B = join(base.dir, 'B');
  let now = 1_000_000;
  const log = await openLog(A, { clock: () => now });
  await log.createTopic('c', { config: { 'cleanup.policy': 'compact', 'segment.ms': 1000, 'delete.retention.ms': 1_000_000 } });
  const p = log.partition('c', 0);
  for (let i = 0; i < 12; i++) {
    await p.append(batch(Array.from({ length: 4 }, (_, j) => ({ key: `k${(i + j) % 5}`, value: `v${i}-${j}`, timestamp: now }))));
    now += 1500; // every append rolls: many small segments, cleaned as one group
  }
  await log.close();
  cpSync(A, B, { recursive: true });
  const lb = await openLog(B, { clock: () => now });
  const stats = await lb.partition('c', 0).clean({ force: true });
  assert.ok(stats !== null && stats.segmentsBefore > 2 && stats.segmentsAfter === 1, JSON.stringify(stats));
  await lb.close();

  const read = async (d: string): Promise<string[]> => {
    const l = await openLog(d, { clock: () => now });
    const values = readAll(l.partition('c', 0)).map((r) => `${r.offset}:${r.key}=${r.value}`);
    await l.close();
    const leftovers = readdirSync(join(d, 'c-0')).filter((f) => /\.(cleaned|swap|deleted)$/.test(f));
    assert.deepEqual(leftovers, []);
    return values;
  };
  const before = await read(A);
  const after = await read(B);
  assert.ok(after.length < before.length);

  const logsIn = (d: string): string[] => readdirSync(join(d, 'c-0')).filter((f) => f.endsWith('.log')).sort();
  const aLogs = logsIn(A);
  const cleanedName = logsIn(B)[0]!;
  assert.equal(cleanedName, aLogs[0]);
  const states: Record<string, (d: string) => void> = {
    // Crash while writing the cleaned segment: it is discarded.
    cleaned: (d) => {
      cpSync(join(B, 'c-0', cleanedName), join(d, 'c-0', `${cleanedName}.cleaned`));
    },
    // Crash right after the .swap rename: recovery completes the swap.
    swap: (d) => {
      cpSync(join(B, 'c-0', cleanedName), join(d, 'c-0', `${cleanedName}.swap`));
      cpSync(join(B, 'c-0', cleanedName.replace('.log', '.index')), join(d, 'c-0', cleanedName.replace('.log', '.index.swap')));
    },
    // Crash after some replaced segments were renamed to .deleted.
    partlyDeleted: (d) => {
      cpSync(join(B, 'c-0', cleanedName), join(d, 'c-0', `${cleanedName}.swap`));
      for (const f of aLogs.slice(1, 3)) {
        const pd = join(d, 'c-0', f);
        cpSync(pd, `${pd}.deleted`);
        rmSync(pd);
      }
    },
    // Crash after the swap was renamed into place but before the old files were unlinked.
    renamed: (d) => {
      cpSync(join(B, 'c-0', cleanedName), join(d, 'c-0', cleanedName));
      rmSync(join(d, 'c-0', cleanedName.replace('.log', '.index')));
      // The other replaced segments are .deleted (the swap commits only after renaming them).
      const bBases = new Set(logsIn(B));
      for (const f of aLogs.slice(1)) {
        if (bBases.has(f)) continue;
        const pd = join(d, 'c-0', f);
        cpSync(pd, `${pd}.deleted`);
        rmSync(pd);
      }
    },
  };
  const expectAfter: Record<string, string[]> = { cleaned: before, swap: after, partlyDeleted: after, renamed: after };
  for (const [name, make] of Object.entries(states)) {
    const d = join(base.dir, name);
    cpSync(A, d, { recursive: true });
    rmSync(join(d, '.clean-shutdown'), { force: true }); // a crash, not a clean stop
    make(d);
    assert.deepEqual(await read(d), expectAfter[name], name);
  }
});
