import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { embedded } from '../../../src/index.js';
import { openLog, tempDir } from './helpers.js';
import { build } from './clicks.js';

/**
 * A start that fails (here: the source topic does not exist) ends the run: close() rejects with the
 * start's error instead of never settling, and the application can be started again once the
 * cause is fixed.
 */

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

test('a failed start: close() settles, rejecting with the start error; a later start runs', async () => {
  const { dir, cleanup } = tempDir();
  const log = await openLog(dir);
  try {
    await log.createTopic('counts', { partitions: 3 });
    const app = build('sf');
    const options = { log: embedded({ manager: log }), stateDir: join(dir, 'state') };
    const startError = await app.start(options).then(
      () => assert.fail('start succeeded without its source topic'),
      (e: unknown) => e,
    );
    assert.ok(startError instanceof Error);
    assert.match(startError.message, /clicks/, 'the error names the missing topic');
    const closed = await within(
      app.close().then(
        () => 'resolved',
        (e: unknown) => e,
      ),
      10_000,
      'app.close() after a failed start',
    );
    assert.equal(closed, startError, 'close() rejects with the error that stopped the start');

    await log.createTopic('clicks', { partitions: 3 });
    await app.start(options);
    const summary = await within(app.close(), 30_000, 'app.close() of the second run');
    assert.ok(summary !== undefined);
  } finally {
    await log.close();
    cleanup();
  }
});
