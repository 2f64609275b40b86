import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { batchesOf, memoryLogger, tempDir } from './helpers.js';
import { LogManager } from '../../src/log/index.js';
import { PRODUCER_ID, firstSequence, recordsIn } from './fixtures/idempotent-appender.js';

const fixture = fileURLToPath(new URL('./fixtures/idempotent-appender.ts', import.meta.url));
const ROUNDS = 14;

interface Ack {
  k: number;
  base: number;
  last: number;
  dup: boolean;
}

function runChild(dir: string, first: number, killAfterMs: number): Promise<{ acks: Ack[]; how: NodeJS.Signals | number | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, dir, String(first)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acks: Ack[] = [];
    let buffered = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line === 'ready') setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        else if (line.startsWith('ack ')) {
          const [, k, base, last, dup] = line.split(' ').map(Number) as number[];
          acks.push({ k: k!, base: base!, last: last!, dup: dup === 1 });
        }
      }
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code, signal) => {
      if (signal === null) process.stderr.write(`idempotent-appender exited ${code}: ${stderr}\n`);
      resolve({ acks, how: signal ?? code });
    });
  });
}

test('producer state survives kill -9: retries of acknowledged or written batches are never duplicated', { timeout: 180_000 }, async (t) => {
  const { dir, cleanup } = tempDir('tributary-idem-crash-');
  t.after(cleanup);
  /** Batch index -> [base, last] as first acknowledged. */
  const acked = new Map<number, [number, number]>();
  let next = 0;
  let duplicatesSeen = 0;
  const verify = async (): Promise<void> => {
    // Opening here closes cleanly, so only every few rounds: the others restart from a crash.
    const log = await LogManager.open({ dataDir: dir, logger: memoryLogger(), retentionCheckIntervalMs: 0, cleanerIntervalMs: 0 });
    if (!log.hasTopic('idem')) {
      assert.equal(acked.size, 0);
      await log.close();
      return;
    }
    const p = log.partition('idem', 0);
    let offset = 0;
    let k = 0;
    while (offset < p.highWatermark) {
      const r = p.read(offset, { maxBytes: 256 * 1024 });
      for (const b of batchesOf(r.records)) {
        // Batch k, exactly once, in order: nothing duplicated, nothing lost.
        assert.equal(b.producerId, PRODUCER_ID);
        assert.equal(b.baseSequence, firstSequence(k), `batch at offset ${b.baseOffset} should be batch ${k}`);
        assert.equal(b.recordCount, recordsIn(k));
        const values = b.records().map((rec) => rec.value!.toString().split(':').slice(0, 2).join(':'));
        assert.deepEqual(values, Array.from({ length: recordsIn(k) }, (_, i) => `${k}:${i}`));
        const a = acked.get(k);
        if (a !== undefined) assert.deepEqual([b.baseOffset, b.lastOffset], a, `batch ${k} acknowledged at ${a.join('-')}`);
        offset = b.lastOffset + 1;
        k++;
      }
    }
    for (const key of acked.keys()) assert.ok(key < k, `acknowledged batch ${key} is missing (log has ${k})`);
    const segments = log.describeTopic('idem').partitions[0]!.segments.length;
    t.diagnostic(`log holds batches 0..${k - 1} in ${segments} segments`);
    await log.close();
  };

  for (let round = 1; round <= ROUNDS; round++) {
    const { acks, how } = await runChild(dir, next, 150 + Math.floor(Math.random() * 400));
    assert.equal(how, 'SIGKILL', `round ${round} ended by ${String(how)}`);
    for (const a of acks) {
      const before = acked.get(a.k);
      if (before !== undefined) {
        // A retry of something acknowledged: the same offsets, flagged as a duplicate.
        assert.deepEqual([a.base, a.last], before, `batch ${a.k} acknowledged twice at different offsets`);
        assert.ok(a.dup);
      } else {
        acked.set(a.k, [a.base, a.last]);
      }
      if (a.dup) duplicatesSeen++;
      assert.equal(a.k, acks[0]!.k + acks.indexOf(a), 'acknowledgements come in order');
    }
    // The next run starts at the first batch not acknowledged: up to 5 after it may already be in the log.
    while (acked.has(next)) next++;
    if (round % 4 === 0 || round === ROUNDS) await verify();
  }
  t.diagnostic(`${acked.size} batches acknowledged; ${duplicatesSeen} retries answered as duplicates`);
  assert.ok(acked.size > 200, `only ${acked.size} batches acknowledged`);
});
