import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pythonModuleExists, run, startTestBroker, tempDir } from './helpers.js';

const skip = pythonModuleExists('kafka') ? false : "kafka-python is not installed for /usr/bin/python3 (Debian package python3-kafka)";

/** The seed's sample: a KafkaProducer writing `test_topic`, a KafkaConsumer in a group reading it back. */
const SEED = String.raw`
import sys
from kafka import KafkaProducer, KafkaConsumer

bootstrap = sys.argv[1]
producer = KafkaProducer(bootstrap_servers=[bootstrap], acks='all', compression_type=sys.argv[2] if sys.argv[2] != 'none' else None)
for i in range(10):
    producer.send('test_topic', key=('k%d' % i).encode(), value=('message %d' % i).encode())
producer.flush()

consumer = KafkaConsumer('test_topic', bootstrap_servers=[bootstrap], group_id='seed-group',
                         auto_offset_reset='earliest', enable_auto_commit=False, consumer_timeout_ms=10000)
seen = []
for message in consumer:
    seen.append('%d %s' % (message.offset, message.value.decode()))
    if len(seen) == int(sys.argv[3]):
        break
consumer.commit()
consumer.close()
producer.close()
print('\n'.join(seen))
`;

test('kafka-python 2.0.2: the seed sample produces to test_topic and a group reads it back, resuming after its commit', { skip }, async (t) => {
  const { dir, cleanup } = tempDir();
  const broker = await startTestBroker(dir);
  t.after(async () => {
    await broker.close();
    cleanup();
  });
  const bootstrap = `127.0.0.1:${broker.port}`;
  const first = await run('/usr/bin/python3', ['-c', SEED, bootstrap, 'gzip', '10'], { timeoutMs: 45_000 });
  assert.equal(first.code, 0, first.stderr);
  assert.deepEqual(first.stdout.trim().split('\n'), Array.from({ length: 10 }, (_, i) => `${i} message ${i}`));
  // The second run's group resumes after the first's commit: it sees only its own ten.
  const second = await run('/usr/bin/python3', ['-c', SEED, bootstrap, 'none', '10'], { timeoutMs: 45_000 });
  assert.equal(second.code, 0, second.stderr);
  assert.deepEqual(second.stdout.trim().split('\n'), Array.from({ length: 10 }, (_, i) => `${i + 10} message ${i}`));
  assert.equal(broker.log.partition('test_topic', 0).logEndOffset, 20);
});

test('examples/seed/echo.py (the seed sample) echoes test_topic through tributary broker', { skip }, async (t) => {
  const { dir, cleanup } = tempDir();
  const broker = await startTestBroker(dir);
  t.after(async () => {
    await broker.close();
    cleanup();
  });
  const script = new URL('../../examples/seed/echo.py', import.meta.url).pathname;
  const r = await run('/usr/bin/python3', [script, '--bootstrap', `127.0.0.1:${broker.port}`, '--max', '5', '--message', 'ping'], { timeoutMs: 45_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['ping', 'ping', 'ping', 'ping', 'ping']);
  // its own message plus five echoes, each read back and written again
  assert.equal(broker.log.partition('test_topic', 0).logEndOffset, 6);
});
