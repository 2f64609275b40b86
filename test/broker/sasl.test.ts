import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { ApiKeys } from '../../src/protocol/index.js';
import { RawClient, commandExists, pythonModuleExists, run, startTestBroker, tempDir } from './helpers.js';

const USERS = { alice: 'alice-secret', bob: 'hunter2' };

async function saslBroker(t: { after: (fn: () => unknown) => void }) {
  const { dir, cleanup } = tempDir();
  const broker = await startTestBroker(dir, { saslPlain: USERS });
  t.after(async () => {
    await broker.close();
    cleanup();
  });
  return broker;
}

test('SASL/PLAIN with kafkajs: right credentials work, wrong ones fail, no credentials get disconnected', async (t) => {
  const broker = await saslBroker(t);
  const make = (sasl?: { mechanism: 'plain'; username: string; password: string }) =>
    new Kafka({ clientId: 'sasl', brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING, retry: { retries: 0 }, ...(sasl ? { sasl } : {}) });

  const good = make({ mechanism: 'plain', username: 'alice', password: 'alice-secret' }).producer();
  await good.connect();
  t.after(() => good.disconnect());
  const [r] = await good.send({ topic: 'secure', messages: [{ value: 'hi' }] });
  assert.equal(r!.errorCode, 0);

  const bad = make({ mechanism: 'plain', username: 'alice', password: 'wrong' }).admin();
  await assert.rejects(bad.connect(), /SASL PLAIN authentication failed|Authentication failed/i);
  await bad.disconnect();

  // Without SASL, ApiVersions still works (kafkajs' connect), the first other request is refused.
  const anonymous = make().admin();
  await anonymous.connect().catch(() => {});
  await assert.rejects(anonymous.listTopics(), /Closed connection|connection/i);
  await anonymous.disconnect();
  assert.ok(broker.logger.lines.some((l) => l.includes('before SASL authentication')));
});

test('SASL/PLAIN: a raw client may only send ApiVersions and the handshake before authenticating', async (t) => {
  const broker = await saslBroker(t);
  const c = await RawClient.connect(broker.port);
  t.after(() => c.close());
  const versions = await c.request(ApiKeys.ApiVersions, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' });
  assert.ok(versions.apiKeys.some((k) => k.apiKey === ApiKeys.SaslAuthenticate));
  const hs = await c.request(ApiKeys.SaslHandshake, 1, { mechanism: 'SCRAM-SHA-256' });
  assert.equal(hs.errorCode, 33); // UNSUPPORTED_SASL_MECHANISM
  assert.deepEqual(hs.mechanisms, ['PLAIN']);
  assert.equal((await c.request(ApiKeys.SaslHandshake, 1, { mechanism: 'PLAIN' })).errorCode, 0);
  const ok = await c.request(ApiKeys.SaslAuthenticate, 2, { authBytes: Buffer.from('\0bob\0hunter2') });
  assert.equal(ok.errorCode, 0);
  const m = await c.request(ApiKeys.Metadata, 12, { topics: null });
  assert.equal(m.brokers.length, 1);

  const anon = await RawClient.connect(broker.port);
  anon.write(anon.encode(ApiKeys.Metadata, 12, { topics: null }));
  assert.equal(await anon.next(), null, 'closed without an answer');
});

test('SASL/PLAIN with kcat and kafka-python', { skip: commandExists('kcat') ? false : 'kcat is not installed' }, async (t) => {
  const broker = await saslBroker(t);
  const b = `127.0.0.1:${broker.port}`;
  const sasl = ['-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=PLAIN', '-X', 'sasl.username=bob'];
  const produced = await run('kcat', ['-b', b, ...sasl, '-X', 'sasl.password=hunter2', '-P', '-t', 'sk'], { input: 'one\ntwo\n' });
  assert.equal(produced.code, 0, produced.stderr);
  const consumed = await run('kcat', ['-b', b, ...sasl, '-X', 'sasl.password=hunter2', '-C', '-t', 'sk', '-e', '-f', '%s\n']);
  assert.equal(consumed.stdout, 'one\ntwo\n', consumed.stderr);
  const refused = await run('kcat', ['-b', b, ...sasl, '-X', 'sasl.password=nope', '-L', '-m', '3'], { timeoutMs: 20_000 });
  assert.notEqual(refused.code, 0);

  if (!pythonModuleExists('kafka')) {
    t.diagnostic('kafka-python is not installed: its part is skipped');
    return;
  }
  const py = String.raw`
import sys
from kafka import KafkaConsumer
c = KafkaConsumer('sk', bootstrap_servers=[sys.argv[1]], security_protocol='SASL_PLAINTEXT', sasl_mechanism='PLAIN',
                  sasl_plain_username='alice', sasl_plain_password='alice-secret', auto_offset_reset='earliest', consumer_timeout_ms=5000)
print(','.join(m.value.decode() for m in c))
c.close()
`;
  const r = await run('/usr/bin/python3', ['-c', py, b], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'one,two');
});
