import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { embedded, EmbeddedLog, visitRecords, type Log, type LogConnector } from '../../src/connectors/index.js';
import { serveLog, threadLog } from '../../src/connectors/threads/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { TributaryError } from '../../src/records/errors.js';
import { logContract } from './log-contract.js';

/**
 * The embedded log served over a MessagePort (what runThreads gives each worker thread): both ends
 * in this thread, so every call still crosses the port — structured clone, transferred buffers,
 * notifications in order — as between threads.
 */
function served(dir: string): LogConnector {
  const inner = embedded({ dataDir: dir, logOptions: { logger: silentLogger, cleanerIntervalMs: 0 } });
  return {
    kind: 'embedded',
    async connect(): Promise<Log> {
      const log = await inner.connect();
      assert.ok(log instanceof EmbeddedLog);
      const { port1, port2 } = new MessageChannel();
      serveLog(log, port1);
      const client = await threadLog(port2).connect();
      const close = client.close.bind(client);
      client.close = async () => {
        await close();
        port2.close();
        await log.close();
      };
      return client;
    },
  };
}

logContract(served);

test('errors cross the port typed, with their Kafka error code; what was committed before stays', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-threads-'));
  const log = await served(dir).connect();
  try {
    await assert.rejects(log.endOffsets([{ topic: 'absent', partition: 0 }]), (e: unknown) => e instanceof TributaryError && e.code === 'UNKNOWN_TOPIC_OR_PARTITION');
    await log.createTopics([{ name: 'small', partitions: 1, config: { 'max.message.bytes': 2048 } }]);
    const p = await log.producer({ transactionalId: 'small-tx' });
    p.send({ topic: 'small', partition: 0, timestamp: 1, key: null, value: Buffer.from('kept'), headers: [] });
    await p.commitTransaction();
    p.send({ topic: 'small', partition: 0, timestamp: 2, key: null, value: Buffer.alloc(10_000, 7), headers: [] });
    await assert.rejects(p.commitTransaction(), (e: unknown) => e instanceof TributaryError && e.code === 'MESSAGE_TOO_LARGE');
    await p.abortTransaction();
    const c = log.consumer();
    c.assign([{ topic: 'small', partition: 0, offset: 0 }]);
    const seen: string[] = [];
    for (let f = await c.fetch(0); f.length > 0; f = await c.fetch(0)) for (const x of f) visitRecords(x, (_o, _t, _k, v) => void seen.push(v!.toString()));
    assert.deepEqual(seen, ['kept']);
    c.close();
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
