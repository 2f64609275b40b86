import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ApiKeys } from '../../src/protocol/index.js';
import { encodeRecordBatch } from '../../src/records/index.js';
import { BIN, runCli } from '../cli/run-cli.js';
import { RawClient, tempDir } from './helpers.js';

function startCli(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const listening = new Promise<number>((resolve, reject) => {
    // A hang guard only: starting the CLI compiles its TypeScript through tsx, slow on a busy machine.
    const timer = setTimeout(() => reject(new Error(`no listening line: ${stderr}`)), 120_000);
    child.stderr.on('data', () => {
      const m = /Tributary broker listening on 127\.0\.0\.1:(\d+)\n/.exec(stderr);
      if (m !== null) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', () => reject(new Error(`exited before listening: ${stderr}`)));
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, listening, exited, stderr: () => stderr };
}

test('tributary broker: one listening line, serves clients, SIGTERM closes the log cleanly', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const b = startCli(['broker', '--port', '0', '--data-dir', dir, '--offsets-retention-minutes', '60']);
  t.after(() => {
    if (b.child.exitCode === null) b.child.kill('SIGKILL');
  });
  const port = await b.listening;
  const c = await RawClient.connect(port);
  const r = await c.request(ApiKeys.Produce, 9, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 1000,
    topicData: [{ name: 'cli', partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ value: Buffer.from('v') }] }) }] }],
  });
  assert.equal(r.responses[0]!.partitionResponses[0]!.errorCode, 0);
  const m = await c.request(ApiKeys.Metadata, 9, { topics: null });
  assert.deepEqual(m.brokers, [{ nodeId: 0, host: '127.0.0.1', port, rack: null }]);
  b.child.kill('SIGTERM');
  const { code } = await b.exited;
  assert.equal(code, 0, b.stderr());
  assert.equal(await c.waitClosed(), true);
  c.close();
  assert.ok(existsSync(join(dir, '.clean-shutdown')), 'the log was closed cleanly');
  assert.match(b.stderr(), /^Tributary broker listening on 127\.0\.0\.1:\d+$/m);

  // The topic is there for the embedded log's own commands afterwards.
  const listed = await runCli(['--data-dir', dir, 'topics', 'list']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /^cli$/m);
});

test('tributary broker: usage errors exit 2, a taken port exits 1 with one line', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const bad = await runCli(['broker', '--port', 'http', '--data-dir', dir]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--port must be a port number/);
  const badFsync = await runCli(['broker', '--fsync', 'sometimes', '--data-dir', dir]);
  assert.equal(badFsync.code, 2);
  const badRetention = await runCli(['broker', '--offsets-retention-minutes', '0', '--data-dir', dir]);
  assert.equal(badRetention.code, 2);
  assert.match(badRetention.stderr, /--offsets-retention-minutes/);

  const first = startCli(['broker', '--port', '0', '--data-dir', dir]);
  t.after(() => {
    if (first.child.exitCode === null) first.child.kill('SIGKILL');
  });
  const port = await first.listening;
  const other = tempDir();
  t.after(other.cleanup);
  const taken = await runCli(['broker', '--port', String(port), '--data-dir', other.dir]);
  assert.equal(taken.code, 1);
  assert.equal(taken.stderr.trim().split('\n').length, 1, taken.stderr);
  assert.match(taken.stderr, /EADDRINUSE/);
  // The same data directory cannot be served twice.
  const locked = await runCli(['broker', '--port', '0', '--data-dir', dir]);
  assert.equal(locked.code, 1);
  first.child.kill('SIGINT');
  assert.equal((await first.exited).code, 0);
});
