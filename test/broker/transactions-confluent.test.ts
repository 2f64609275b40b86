import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { pythonModuleExists, run, startTestBroker, tempDir } from './helpers.js';

const skip = pythonModuleExists('confluent_kafka')
  ? false
  : 'confluent-kafka-python is not installed for /usr/bin/python3 (Debian package python3-confluent-kafka)';

/** Reads a partition from the start to its end at an isolation level; prints the values as JSON. */
const READ = String.raw`
import sys, json
from confluent_kafka import Consumer, TopicPartition, KafkaException
bootstrap, topic, isolation = sys.argv[1], sys.argv[2], sys.argv[3]
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'reader-' + isolation, 'isolation.level': isolation,
              'enable.auto.commit': False, 'enable.partition.eof': True})
c.assign([TopicPartition(topic, 0, 0)])
out = []
while True:
    m = c.poll(15)
    if m is None:
        raise SystemExit('no end of partition within 15 s')
    if m.error():
        if m.error().code() == -191:  # _PARTITION_EOF
            break
        raise KafkaException(m.error())
    out.append(m.value().decode())
c.close()
print(json.dumps(out))
`;

/** A committed transaction, an aborted one (its records flushed to the broker first), another committed one. */
const COMMIT_ABORT = String.raw`
import sys
from confluent_kafka import Producer
bootstrap, topic = sys.argv[1], sys.argv[2]
p = Producer({'bootstrap.servers': bootstrap, 'transactional.id': 'ck-tx', 'transaction.timeout.ms': 10000, 'linger.ms': 5})
p.init_transactions(15)
p.begin_transaction()
for i in range(5):
    p.produce(topic, key=b'k%d' % i, value=b'committed-%d' % i)
p.commit_transaction(15)
p.begin_transaction()
for i in range(5):
    p.produce(topic, key=b'k%d' % i, value=b'aborted-%d' % i)
p.flush(15)
p.abort_transaction(15)
p.begin_transaction()
p.produce(topic, key=b'k9', value=b'committed-after')
p.commit_transaction(15)
`;

/**
 * Consume-transform-produce, exactly once: read 'in' (read_committed, group 'ctp'), write 'out-'
 * + value to 'out', commit the input positions with send_offsets_to_transaction. Prints
 * "produced N" once a transaction's outputs are on the broker (before its commit), "committed N"
 * after it; exits after 3 s without input.
 */
const LOOP = String.raw`
import sys, time
from confluent_kafka import Producer, Consumer
bootstrap, src, dst = sys.argv[1], sys.argv[2], sys.argv[3]
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'ctp', 'isolation.level': 'read_committed',
              'auto.offset.reset': 'earliest', 'enable.auto.commit': False,
              'session.timeout.ms': 2000, 'heartbeat.interval.ms': 300})
p = Producer({'bootstrap.servers': bootstrap, 'transactional.id': 'ctp-tx', 'transaction.timeout.ms': 10000, 'linger.ms': 2})
p.init_transactions(20)
c.subscribe([src])
idle_since = None
done = 0
while True:
    msgs = c.consume(10, 0.5)
    for m in msgs:
        if m.error():
            print('consumer error', m.error(), file=sys.stderr, flush=True)
    msgs = [m for m in msgs if not m.error()]
    if not msgs:
        if c.assignment():
            idle_since = idle_since or time.time()
            if time.time() - idle_since > 3:
                break
        continue
    idle_since = None
    p.begin_transaction()
    for m in msgs:
        p.produce(dst, key=m.key(), value=b'out-' + m.value())
    p.flush(20)
    print('produced %d' % (done + len(msgs)), flush=True)
    time.sleep(0.05)
    p.send_offsets_to_transaction(c.position(c.assignment()), c.consumer_group_metadata(), 20)
    p.commit_transaction(20)
    done += len(msgs)
    print('committed %d' % done, flush=True)
c.close()
print('done', flush=True)
`;

const PRODUCE_INPUT = String.raw`
import sys
from confluent_kafka import Producer
p = Producer({'bootstrap.servers': sys.argv[1], 'enable.idempotence': True})
for i in range(int(sys.argv[3])):
    p.produce(sys.argv[2], key=b'%d' % i, value=b'in-%d' % i)
if p.flush(20) != 0:
    raise SystemExit('undelivered records')
`;

async function python(script: string, args: string[], timeoutMs = 45_000): Promise<string> {
  const r = await run('/usr/bin/python3', ['-c', script, ...args], { timeoutMs });
  assert.equal(r.code, 0, `python exited ${r.code} ${r.signal ?? ''}: ${r.stderr}`);
  return r.stdout;
}

async function readValues(bootstrap: string, topic: string, isolation: 'read_committed' | 'read_uncommitted'): Promise<string[]> {
  return JSON.parse(await python(READ, [bootstrap, topic, isolation])) as string[];
}

test('confluent-kafka (librdkafka): a committed and an aborted transaction; read_committed sees only the committed records', { skip }, async (t) => {
  const { dir, cleanup } = tempDir();
  const broker = await startTestBroker(dir);
  t.after(async () => {
    await broker.close();
    cleanup();
  });
  const bootstrap = `127.0.0.1:${broker.port}`;
  await python(COMMIT_ABORT, [bootstrap, 'ck']);
  const committed = ['committed-0', 'committed-1', 'committed-2', 'committed-3', 'committed-4', 'committed-after'];
  assert.deepEqual(await readValues(bootstrap, 'ck', 'read_committed'), committed);
  const all = await readValues(bootstrap, 'ck', 'read_uncommitted');
  assert.deepEqual(all, [...committed.slice(0, 5), 'aborted-0', 'aborted-1', 'aborted-2', 'aborted-3', 'aborted-4', 'committed-after']);
  const d = broker.transactions.describe('ck-tx')!;
  assert.equal(d.state, 'CompleteCommit');
  assert.equal(broker.log.partition('ck', 0).lastStableOffset, broker.log.partition('ck', 0).highWatermark);
});

test('confluent-kafka consume-transform-produce with send_offsets_to_transaction: exactly once across a SIGKILL mid-transaction', { skip }, async (t) => {
  const { dir, cleanup } = tempDir();
  const broker = await startTestBroker(dir, { groupMinSessionTimeoutMs: 1000 });
  const children: ReturnType<typeof spawn>[] = [];
  t.after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await broker.close();
    cleanup();
  });
  const bootstrap = `127.0.0.1:${broker.port}`;
  const N = 300;
  await broker.log.createTopic('in', { partitions: 1 });
  await broker.log.createTopic('out', { partitions: 1 });
  await python(PRODUCE_INPUT, [bootstrap, 'in', String(N)]);

  // First run: killed right after a transaction's outputs reached the broker, before its commit,
  // once at least 100 inputs were committed.
  const first = spawn('/usr/bin/python3', ['-c', LOOP, bootstrap, 'in', 'out'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(first);
  let stderr = '';
  first.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const killedAt = await new Promise<number>((resolve, reject) => {
    let committed = 0;
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`the loop did not get going: ${stderr}`)), 40_000);
    first.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buffered += d;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const m = /^(produced|committed) (\d+)$/.exec(line);
        if (m === null) continue;
        if (m[1] === 'committed') committed = Number(m[2]);
        else if (committed >= 100 && first.exitCode === null) {
          first.kill('SIGKILL');
          clearTimeout(timer);
          resolve(committed);
        }
      }
    });
    first.on('exit', () => reject(new Error(`the loop exited before it was killed: ${stderr}`)));
  });
  await new Promise((r) => (first.exitCode !== null || first.signalCode !== null ? r(null) : first.once('exit', r)));
  assert.ok(killedAt >= 100 && killedAt < N, `killed after ${killedAt} committed`);
  // The killed transaction's outputs are in the log, uncommitted.
  const out = broker.log.partition('out', 0);
  assert.ok(out.lastStableOffset < out.highWatermark, 'a transaction was open when the loop died');

  // Second run: the new instance fences the old one (its transaction is aborted) and resumes from
  // the offsets committed with the last committed transaction.
  const second = await run('/usr/bin/python3', ['-c', LOOP, bootstrap, 'in', 'out'], { timeoutMs: 50_000 });
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /done/);

  const committed = await readValues(bootstrap, 'out', 'read_committed');
  const expected = Array.from({ length: N }, (_, i) => `out-in-${i}`);
  assert.deepEqual(committed, expected, 'every input transformed exactly once, in order');
  const uncommitted = await readValues(bootstrap, 'out', 'read_uncommitted');
  assert.ok(uncommitted.length > N, `the aborted outputs are in the log (${uncommitted.length} records) but not in the committed view`);
  const group = broker.groups.fetchOffsets('ctp', [{ name: 'in', partitions: [0] }], true);
  assert.equal(group.topics[0]!.partitions[0]!.offset, N, 'the group committed every input');
});
