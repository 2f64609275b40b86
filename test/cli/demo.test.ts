import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './run-cli.js';

test('tributary demo writes, reads back and verifies a clickstream', async () => {
  const r = await runCli(['demo', '--events', '5000', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as { events_written: number; events_read: number; mismatches: number; write_events_per_sec: number };
  assert.equal(s.events_written, 5000);
  assert.equal(s.events_read, 5000);
  assert.equal(s.mismatches, 0);
  assert.ok(s.write_events_per_sec > 0);
});
