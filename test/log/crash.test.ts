import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { batchesOf, memoryLogger, tempDir } from './helpers.js';
import { LogManager } from '../../src/log/index.js';

const fixture = fileURLToPath(new URL('./fixtures/crash-appender.ts', import.meta.url));
const ROUNDS = 24;

interface Child {
  acks: string[];
  exited: Promise<NodeJS.Signals | number | null>;
  kill: () => void;
  ready: Promise<void>;
}

function startChild(dir: string, run: number): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, dir, String(run)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acks: string[] = [];
  let buffered = '';
  let stderr = '';
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      if (line === 'ready') markReady();
      else if (line.startsWith('ack ')) acks.push(line);
    }
  });
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => {
    child.on('exit', (code, signal) => {
      if (signal === null && code !== 0) process.stderr.write(`crash-appender exited ${code}: ${stderr}\n`);
      resolve(signal ?? code);
    });
  });
  return { acks, exited, ready, kill: () => child.kill('SIGKILL') };
}

test('kill -9 at random moments under fsync always: every acknowledged record survives, exactly once', { timeout: 120_000 }, async (t) => {
  const { dir, cleanup } = tempDir('tributary-crash-');
  t.after(cleanup);
  // partition -> offset -> value, for every append the child acknowledged.
  const acknowledged = [new Map<number, string>(), new Map<number, string>()];
  let totalAcks = 0;
  for (let run = 1; run <= ROUNDS; run++) {
    const started = Date.now();
    const child = startChild(dir, run);
    await Promise.race([child.ready, child.exited]);
    // Kill anywhere from straight after open to well into appending.
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 250)));
    child.kill();
    const how = await child.exited;
    assert.equal(how, 'SIGKILL', `run ${run} ended by ${String(how)}, not by the kill`);
    for (const line of child.acks) {
      const [, partition, baseOffset, count, runId, firstSeq] = line.split(' ').map(Number) as number[];
      for (let i = 0; i < count!; i++) acknowledged[partition!]!.set(baseOffset! + i, `${runId}:${firstSeq! + i}`);
    }
    totalAcks += child.acks.length;

    const log = await LogManager.open({ dataDir: dir, logger: memoryLogger(), retentionCheckIntervalMs: 0, cleanerIntervalMs: 0 });
    if (!log.hasTopic('crash')) {
      assert.equal(acknowledged[0]!.size + acknowledged[1]!.size, 0, 'acknowledged records but the topic is gone');
      await log.close();
      continue;
    }
    for (const partition of [0, 1]) {
      const p = log.partition('crash', partition);
      const found = new Map<number, string>();
      const seen = new Set<string>();
      let next = p.logStartOffset;
      let expectedOffset = 0;
      while (next < p.highWatermark) {
        const r = p.read(next, { maxBytes: 256 * 1024 });
        assert.ok(r.records.length > 0, `no data at ${next} below the high watermark ${p.highWatermark}`);
        for (const b of batchesOf(r.records)) {
          // batchesOf verified the CRC; offsets are dense and in order.
          assert.equal(b.baseOffset, expectedOffset, `partition ${partition}: batch at ${b.baseOffset}, expected ${expectedOffset}`);
          b.forEachRecord((offset, _ts, _key, value) => {
            const v = value!.toString().split(':').slice(0, 2).join(':');
            assert.ok(!seen.has(v), `record ${v} appears twice`);
            seen.add(v);
            found.set(offset, v);
          });
          expectedOffset = b.lastOffset + 1;
          next = b.lastOffset + 1;
        }
      }
      for (const [offset, value] of acknowledged[partition]!) {
        assert.equal(found.get(offset), value, `partition ${partition} offset ${offset}: acknowledged ${value}, found ${found.get(offset)}`);
      }
    }
    await log.close();
    t.diagnostic(`run ${run}: ${child.acks.length} acks, ${Date.now() - started} ms`);
  }
  assert.ok(totalAcks > 100, `only ${totalAcks} appends were acknowledged over ${ROUNDS} runs`);
  t.diagnostic(`${totalAcks} acknowledged appends over ${ROUNDS} kills; ${acknowledged[0]!.size + acknowledged[1]!.size} records checked`);
});
