import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StorageError, type LogManager } from '../../src/log/index.js';
import { openLog, readAll, tempDir, valuesBatch } from './helpers.js';

const fsizeFixture = fileURLToPath(new URL('./fixtures/fsize-appender.ts', import.meta.url));

function run(cmd: string, args: string[]): string | null {
  try {
    execFileSync(cmd, args, { stdio: 'pipe' });
    return null;
  } catch (e) {
    return e instanceof Error ? e.message.split('\n')[0]! : String(e);
  }
}

const isStorageError = (errno?: string) => (e: unknown): boolean =>
  e instanceof StorageError && e.code === 'KAFKA_STORAGE_ERROR' && (errno === undefined || e.errno === errno);

test('a full disk (real tmpfs): the append fails typed, no partial batch stays, the log resumes when space returns', async (t) => {
  const mnt = mkdtempSync(join(tmpdir(), 'tributary-tmpfs-'));
  const problem = run('mount', ['-t', 'tmpfs', '-o', 'size=384k', 'tmpfs', mnt]);
  if (problem !== null) {
    rmSync(mnt, { recursive: true, force: true });
    t.skip(`cannot mount a tmpfs here (needs root): ${problem}`);
    return;
  }
  let log: LogManager | undefined;
  t.after(async () => {
    // A failed assertion leaves the log open, and a busy tmpfs will not unmount.
    await log?.close().catch(() => {});
    if (run('umount', [mnt]) !== null) run('umount', ['-l', mnt]);
    rmSync(mnt, { recursive: true, force: true });
  });
  const filler = join(mnt, 'filler');
  writeFileSync(filler, Buffer.alloc(96 * 1024, 1));
  const dataDir = join(mnt, 'data');
  log = await openLog(dataDir, { fsync: 'always' });
  await log.createTopic('t', { config: { 'segment.bytes': 16 * 1024 * 1024 } });
  const p = log.partition('t', 0);
  const acked: string[] = [];
  let ackedBytes = 0;
  let failure: unknown = null;
  for (let i = 0; i < 1000 && failure === null; i++) {
    const b = valuesBatch(`b${i}-${'x'.repeat(300)}-`, 20);
    try {
      await p.append(b);
      for (let j = 0; j < 20; j++) acked.push(`b${i}-${'x'.repeat(300)}-${j}`);
      ackedBytes += b.length;
    } catch (e) {
      failure = e;
    }
  }
  assert.ok(failure !== null, 'the disk never filled');
  assert.ok(isStorageError('ENOSPC')(failure), `expected a StorageError ENOSPC, got ${String(failure)}`);
  assert.ok(acked.length > 0);
  const segment = join(dataDir, 't-0', '00000000000000000000.log');
  assert.equal(statSync(segment).size, ackedBytes, 'the failed batch left bytes behind');
  assert.deepEqual(readAll(p).map((r) => r.value), acked);
  assert.equal(p.logEndOffset, acked.length);
  await assert.rejects(p.append(valuesBatch('still-full', 200)), isStorageError('ENOSPC'));
  assert.equal(statSync(segment).size, ackedBytes);

  rmSync(filler);
  const r = await p.append(valuesBatch('after', 3));
  assert.equal(r.baseOffset, acked.length);
  assert.equal(p.isOffline, false);
  await log.close();
  log = await openLog(dataDir);
  assert.deepEqual(readAll(log.partition('t', 0)).map((x) => x.value), [...acked, 'after0', 'after1', 'after2']);
  await log.close();
});

test('the file size limit (RLIMIT_FSIZE -> EFBIG) fails the append typed; acknowledged records survive', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const dataDir = join(dir, 'data');
  // 1 MiB limit (ulimit -f counts KiB in bash); node ignores SIGXFSZ, so the write returns EFBIG.
  const child = spawnSync('bash', ['-c', `ulimit -f 1024 && exec "${process.execPath}" --import tsx "${fsizeFixture}" "${dataDir}"`], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(child.status, 0, child.stderr);
  const seen = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as {
    acked: number;
    ackedBytes: number;
    fileSize: number;
    error: { name: string; code: string; errno: string } | null;
    readBack: number;
    logEndOffset: number;
    second: string | null;
  };
  assert.ok(seen.error !== null, 'the size limit never hit');
  assert.deepEqual([seen.error.name, seen.error.code, seen.error.errno], ['StorageError', 'KAFKA_STORAGE_ERROR', 'EFBIG']);
  assert.ok(seen.acked > 10);
  assert.equal(seen.fileSize, seen.ackedBytes, 'a partial batch stayed in the segment');
  assert.equal(seen.readBack, seen.acked * 16);
  assert.equal(seen.logEndOffset, seen.acked * 16);
  assert.equal(seen.second, 'KAFKA_STORAGE_ERROR');

  // Without the limit everything acknowledged is there, and appends continue after it.
  const log = await openLog(dataDir);
  const p = log.partition('big', 0);
  assert.equal(p.logEndOffset, seen.acked * 16);
  assert.equal(readAll(p, 0, 1 << 20).length, seen.acked * 16);
  const r = await p.append(valuesBatch('more', 2));
  assert.equal(r.baseOffset, seen.acked * 16);
  await log.close();
});

test('an unwritable segment or directory (chattr +i) fails appends and creates typed; reads go on', async (t) => {
  const { dir, cleanup } = tempDir();
  const immutable: string[] = [];
  t.after(() => {
    for (const path of immutable) run('chattr', ['-i', path]);
    cleanup();
  });
  const probe = join(dir, 'probe');
  writeFileSync(probe, '');
  const problem = run('chattr', ['+i', probe]);
  if (problem !== null) {
    t.skip(`chattr +i is not available on ${tmpdir()}: ${problem}`);
    return;
  }
  run('chattr', ['-i', probe]);
  const lock = (path: string): void => {
    assert.equal(run('chattr', ['+i', path]), null);
    immutable.push(path);
  };
  const unlock = (path: string): void => {
    assert.equal(run('chattr', ['-i', path]), null);
  };

  const dataDir = join(dir, 'data');
  const log = await openLog(dataDir);
  await log.createTopic('t', { config: { 'segment.bytes': 2000 } });
  const p = log.partition('t', 0);
  for (let i = 0; i < 3; i++) await p.append(valuesBatch(`v${i}-`, 2));
  const before = readAll(p).map((r) => r.value);

  // The active segment file refuses writes (EPERM): the append fails, nothing changes.
  const active = join(dataDir, 't-0', '00000000000000000000.log');
  lock(active);
  await assert.rejects(p.append(valuesBatch('no', 2)), isStorageError('EPERM'));
  assert.deepEqual(readAll(p).map((r) => r.value), before);
  unlock(active);
  await p.append(valuesBatch('yes', 2));
  assert.equal(p.logEndOffset, 8);

  // The partition directory refuses new files: the roll (new segment) fails, typed; reads go on.
  const pdir = join(dataDir, 't-0');
  lock(pdir);
  let failure: unknown = null;
  for (let i = 0; i < 50 && failure === null; i++) {
    await p.append(valuesBatch(`fill${i}-`, 4)).catch((e: unknown) => (failure = e));
  }
  assert.ok(isStorageError('EPERM')(failure), `expected StorageError EPERM, got ${String(failure)}`);
  const readable = readAll(p);
  assert.equal(readable.length, p.logEndOffset);
  unlock(pdir);
  const r = await p.append(valuesBatch('rolled', 1));
  assert.equal(r.baseOffset, readable.length);
  assert.ok(log.describeTopic('t').partitions[0]!.segments.length >= 2);

  // The data directory refuses new topics.
  lock(dataDir);
  await assert.rejects(log.createTopic('blocked'), isStorageError());
  unlock(dataDir);
  assert.equal(log.hasTopic('blocked'), false);
  await log.close();
  mkdirSync(join(dir, 'unused'), { recursive: true });
});
