import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { threadCpu, threadCpuDelta } from '../../bench/support/thread-cpu.js';

/** Keeps this thread busy until it used `ms` of CPU (not of wall time: a loaded machine stretches that). */
const SPIN = (ms: number): string => `{ const c = process.cpuUsage(); while ((process.cpuUsage(c).user + process.cpuUsage(c).system) / 1000 < ${ms}) {} }`;

test('threadCpu charges a busy main thread to "main", and threadCpuDelta keeps only the threads that used CPU', () => {
  const before = threadCpu();
  assert.ok('main' in before, JSON.stringify(before));
  new Function(SPIN(250))();
  const delta = threadCpuDelta(before, threadCpu());
  assert.ok((delta.main ?? 0) >= 0.15, JSON.stringify(delta));
  assert.ok(Object.values(delta).every((sec) => sec > 0), JSON.stringify(delta));
});

test('threadCpu reads another process by pid, and gives {} once it is gone', async () => {
  const child = spawn(process.execPath, ['-e', `${SPIN(250)}; console.log('busy'); process.stdin.resume(); process.stdin.on('end', () => process.exit(0));`]);
  await once(child.stdout, 'data');
  const other = threadCpu(child.pid!);
  assert.ok((other.main ?? 0) >= 0.15, JSON.stringify(other));
  const exited = once(child, 'exit');
  child.stdin.end();
  await exited;
  assert.deepEqual(threadCpu(child.pid!), {});
});
