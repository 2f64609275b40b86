import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LoggedKeyValueStore } from '../../src/state/logged-store.js';
import { InMemoryKeyValueStore } from '../../src/state/memory-store.js';
import type { ChangelogRecord } from '../../src/state/changelog.js';
import {
  CHECKPOINT_FILE,
  StateDirectoryLockedError,
  openTaskState,
  readCheckpoint,
  taskStateDir,
  type TaskState,
} from '../../src/state/local-checkpoint.js';

const here = dirname(fileURLToPath(import.meta.url));
const child = join(here, 'fixtures', 'state-child.ts');
const b = (s: string) => Buffer.from(s, 'latin1');
const key = (i: number) => Buffer.from(`key-${String(i).padStart(8, '0')}`);

function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-ckpt-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs the child fixture until it prints "ready", then kills it with SIGKILL. */
async function runAndKill(dir: string, mode: string): Promise<void> {
  const p = spawn(process.execPath, ['--import', 'tsx', child, dir, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    p.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve();
    });
    p.on('exit', (code) => reject(new Error(`child exited (${code}) before ready: ${err}`)));
  });
  p.kill('SIGKILL');
  await new Promise((r) => p.once('exit', r));
}

const contents = (ts: TaskState, name: string) => [...ts.factory(name).all()].map((e) => [e.key.toString(), e.value.toString()]);

test('kill -9 in the middle of a commit interval: disk == checkpoint, so only the tail is restored, even under exactly-once', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await runAndKill(dir, 'crash-mid-interval');
    assert.ok(existsSync(join(dir, '.lock')), 'the dead child left its lock behind');
    const ts = await openTaskState(dir, { eos: true }); // takes over the stale lock
    assert.equal(ts.wiped, false);
    assert.deepEqual([...ts.checkpointOffsets], [['s', 100]]);
    const st = contents(ts, 's');
    assert.equal(st.length, 100);
    assert.ok(st.every(([, v]) => v === 'committed')); // no uncommitted write survived
    await ts.close();
  } finally {
    cleanup();
  }
});

test('kill -9 between a flush and its checkpoint: wiped under exactly-once, kept (tail restore) under at-least-once', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await runAndKill(dir, 'crash-after-flush');
    const alos = await openTaskState(dir, { eos: false });
    assert.equal(alos.wiped, false);
    assert.deepEqual([...alos.checkpointOffsets], [['s', 100]]);
    assert.equal(contents(alos, 's').length, 149); // the flushed (maybe uncommitted) writes are there
    await alos.close();

    const eos = await openTaskState(dir, { eos: true });
    assert.equal(eos.wiped, true);
    assert.equal(eos.wipeReason, 'unclean-eos');
    assert.equal(eos.checkpointOffsets.size, 0); // restore everything from offset 0
    assert.deepEqual(contents(eos, 's'), []);
    assert.equal(existsSync(join(dir, CHECKPOINT_FILE)), false);
    await eos.close();
  } finally {
    cleanup();
  }
});

test('no checkpoint (or an unreadable one) with data on disk: wiped in both modes', async () => {
  for (const eos of [false, true]) {
    for (const damage of ['delete', 'garbage', 'bad-offset'] as const) {
      const { dir, cleanup } = tempDir();
      try {
        const a = await openTaskState(dir, { eos, sync: false });
        a.factory('s').put(b('k'), b('v'));
        await a.factory('s').flush();
        await a.checkpoint({ s: 1 });
        await a.close();
        const path = join(dir, CHECKPOINT_FILE);
        if (damage === 'delete') rmSync(path);
        else if (damage === 'garbage') writeFileSync(path, '{"version":1,"flushSe');
        else writeFileSync(path, readFileSync(path, 'utf8').replace('"s":1', '"s":-1'));
        const c = await openTaskState(dir, { eos, sync: false });
        assert.equal(c.wiped, true, `${damage} eos=${eos}`);
        assert.equal(c.wipeReason, 'no-checkpoint');
        assert.deepEqual(contents(c, 's'), []);
        await c.close();
      } finally {
        cleanup();
      }
    }
  }
});

test('a fresh directory is not "wiped"; a store with data but no checkpointed offset is cleared on its own', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const a = await openTaskState(dir, { eos: true, sync: false });
    assert.equal(a.wiped, false);
    assert.equal(a.checkpointOffsets.size, 0);
    a.factory('kept').put(b('k'), b('1'));
    a.factory('orphan').put(b('k'), b('2'));
    await a.factory('kept').flush();
    await a.checkpoint({ kept: 7 }); // the runtime named only 'kept'
    await a.close();
    const c = await openTaskState(dir, { eos: true, sync: false });
    assert.equal(c.wiped, false);
    assert.deepEqual(c.clearedStores, ['orphan']);
    assert.deepEqual(contents(c, 'kept'), [['k', '1']]);
    assert.deepEqual(contents(c, 'orphan'), []);
    // Checkpoints merge: a store not named keeps its previous offset.
    c.factory('orphan').put(b('k'), b('3'));
    await c.factory('orphan').flush();
    await c.checkpoint(new Map([['orphan', 1]]));
    assert.deepEqual(readCheckpoint(dir)?.offsets, { kept: 7, orphan: 1 });
    await c.close();
  } finally {
    cleanup();
  }
});

test('a task directory is locked while open (in this process or another live one)', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const d = taskStateDir(dir, 'app', '1_3');
    assert.equal(d, join(dir, 'app', '1_3'));
    const a = await openTaskState(d, { eos: true, sync: false });
    await assert.rejects(openTaskState(d, { eos: true, sync: false }), StateDirectoryLockedError);
    // A lock held by another live process (our parent is alive) is respected, too.
    await a.close();
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    writeFileSync(join(d, '.lock'), `${process.ppid} ${bootId}`);
    await assert.rejects(openTaskState(d, { eos: true, sync: false }), (e: unknown) => e instanceof StateDirectoryLockedError && e.ownerPid === process.ppid);
    // ... but not one from another boot.
    writeFileSync(join(d, '.lock'), `${process.ppid} another-boot`);
    const c = await openTaskState(d, { eos: true, sync: false });
    await c.close();
    assert.equal(existsSync(join(d, '.lock')), false);
  } finally {
    cleanup();
  }
});

/**
 * The runtime's loop against a simulated transactional changelog: every commit interval the task
 * writes through a LoggedKeyValueStore; commit = flush, then append the interval's changelog
 * entries to the committed log (a transaction commit), then checkpoint the log's end offset.
 * The "process" crashes at random points — mid-interval, after the flush (the transaction then
 * aborts: its entries are discarded), or after the commit before the checkpoint — and restarts:
 * open the state, restore the committed changelog from the checkpointed offset. Under exactly-once
 * the restored store must equal the store rebuilt from the whole committed changelog, every time.
 */
test('exactly-once restart loop: tail or full restore always rebuilds exactly the committed state', async () => {
  const { dir, cleanup } = tempDir();
  try {
    let seed = 42;
    const rnd = (n: number) => {
      // mulberry32
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * n | 0;
    };
    const committed: ChangelogRecord[] = [];
    let fullRestores = 0;
    let tailRestores = 0;
    let restoredRecords = 0;
    for (let run = 0; run < 40; run++) {
      const ts = await openTaskState(dir, { eos: true, sync: false });
      const from = ts.checkpointOffsets.get('counts') ?? 0;
      if (ts.checkpointOffsets.has('counts')) tailRestores++;
      else fullRestores++;
      const pending: ChangelogRecord[] = [];
      const store = new LoggedKeyValueStore(ts.factory('counts'), { append: (e) => pending.push({ key: e.key, value: e.value }) });
      store.restore(committed.slice(from));
      restoredRecords += committed.length - from;
      // Check: the local state equals the committed changelog replayed from scratch.
      const reference = new InMemoryKeyValueStore('ref');
      reference.restore(committed);
      assert.deepEqual(
        [...store.all()].map((e) => [e.key.toString('hex'), e.value.toString('hex')]),
        [...reference.all()].map((e) => [e.key.toString('hex'), e.value.toString('hex')]),
        `run ${run}`,
      );
      // Process some intervals, then crash somewhere.
      const intervals = 1 + rnd(4);
      const crashAt = rnd(3); // 0 mid-interval, 1 after flush, 2 after commit
      for (let i = 0; i < intervals; i++) {
        for (let j = 0; j < 20; j++) {
          const k = Buffer.from([rnd(30)]);
          if (rnd(5) === 0) store.delete(k);
          else store.put(k, Buffer.from([(store.get(k)?.[0] ?? 0) + 1]));
        }
        const last = i === intervals - 1;
        if (last && crashAt === 0) break;
        await store.flush();
        if (last && crashAt === 1) break; // the transaction aborts: pending entries are lost
        committed.push(...pending);
        pending.length = 0;
        if (last && crashAt === 2) break;
        await ts.checkpoint({ counts: committed.length });
      }
      // "Crash": no checkpoint, unflushed writes dropped (as a killed process's LMDB transaction).
      await ts.close();
    }
    assert.ok(fullRestores >= 3 && tailRestores >= 10, `full ${fullRestores}, tail ${tailRestores}`);
    assert.ok(restoredRecords < committed.length * (fullRestores + 2), 'tail restores read less than everything');
  } finally {
    cleanup();
  }
});

test('a store larger than the heap: 2M entries of 100 bytes under --max-old-space-size=64', { timeout: 300_000 }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const n = Number(process.env.TRIBUTARY_BIG_STATE_ENTRIES ?? 2_000_000);
    const p = spawn(process.execPath, ['--max-old-space-size=64', '--import', 'tsx', child, dir, 'big', String(n)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise((r) => p.once('exit', r));
    assert.equal(code, 0, `child failed: ${err}`);
    const result = JSON.parse(out.trim().split('\n').pop()!) as { n: number; heapUsedMb: number };
    assert.equal(result.n, n);
    assert.ok(result.heapUsedMb < 64);
    console.log(`# big state: ${out.trim()}`);
  } finally {
    cleanup();
  }
});
