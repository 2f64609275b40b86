import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { CredentialStore } from '../../../src/broker/security/index.js';
import { ApiKeys } from '../../../src/protocol/index.js';
import { RawClient, commandExists, pythonModuleExists, run, startTestBroker, tempDir } from '../helpers.js';
import { makeTestCerts, type TestCerts } from './certs.js';

const haveOpenssl = commandExists('openssl');

async function tlsScramBroker(t: { after: (fn: () => unknown) => void }, extra: { clientAuth?: 'required' } = {}) {
  const { dir, cleanup } = tempDir('tributary-sec-');
  const certs = makeTestCerts(dir);
  const store = new CredentialStore(dir);
  await store.add('alice', 'alice-secret', ['SCRAM-SHA-256', 'SCRAM-SHA-512']);
  await store.add('bob', 'bob-secret', ['SCRAM-SHA-512']);
  const broker = await startTestBroker(dir, {
    advertisedHost: 'localhost',
    security: {
      sasl: ['SCRAM-SHA-256', 'SCRAM-SHA-512', 'PLAIN'],
      tls: { certFile: certs.certFile, keyFile: certs.keyFile, caFile: certs.caFile, ...(extra.clientAuth ? { clientAuth: extra.clientAuth } : {}) },
    },
  });
  t.after(async () => {
    await broker.close();
    cleanup();
  });
  return { broker, certs, dir };
}

function kafkajs(port: number, certs: TestCerts, sasl: SASLOptions) {
  return new Kafka({
    clientId: 'scram-tls',
    brokers: [`localhost:${port}`],
    ssl: { ca: [readFileSync(certs.caFile, 'utf8')] },
    sasl,
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  });
}

test('the users file holds salted hashes, never the password', { skip: !haveOpenssl && 'openssl is missing' }, async () => {
  const { dir, cleanup } = tempDir('tributary-sec-');
  try {
    const store = new CredentialStore(dir);
    await store.add('alice', 'correct horse battery staple', ['SCRAM-SHA-256', 'SCRAM-SHA-512', 'PLAIN']);
    const text = readFileSync(`${dir}/security/users.json`, 'utf8');
    assert.ok(!text.includes('correct horse'), 'no cleartext password in the file');
    assert.deepEqual(store.list(), [{ name: 'alice', mechanisms: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] }]);
    assert.equal(await store.verifyPassword('alice', 'correct horse battery staple'), true);
    assert.equal(await store.verifyPassword('alice', 'wrong'), false);
    assert.equal(await store.verifyPassword('nobody', 'correct horse battery staple'), false);
  } finally {
    cleanup();
  }
});

test('kafkajs with SCRAM-SHA-256 and SCRAM-SHA-512 over TLS produces and consumes; a wrong password gets SASL_AUTHENTICATION_FAILED', { skip: !haveOpenssl && 'openssl is missing' }, async (t) => {
  const { broker, certs } = await tlsScramBroker(t);
  const producer = kafkajs(broker.port, certs, { mechanism: 'scram-sha-256', username: 'alice', password: 'alice-secret' }).producer();
  await producer.connect();
  // Clients disconnect before the broker closes (after-hooks run first-registered first): a kafkajs consumer
  // left connected to a closed broker keeps retrying, and the test process never exits.
  const disconnect: Array<() => Promise<void>> = [() => producer.disconnect()];
  try {
    await producer.send({ topic: 'secure', messages: [{ key: 'k1', value: 'one' }, { key: 'k2', value: 'two' }] });

    const consumer = kafkajs(broker.port, certs, { mechanism: 'scram-sha-512', username: 'bob', password: 'bob-secret' }).consumer({ groupId: 'g-scram' });
    await consumer.connect();
    disconnect.unshift(() => consumer.disconnect());
    await consumer.subscribe({ topic: 'secure', fromBeginning: true });
    const got: string[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            got.push(message.value!.toString());
            if (got.length === 2) resolve();
          },
        })
        .catch(reject);
    });
    assert.deepEqual(got, ['one', 'two']);
  } finally {
    for (const d of disconnect) await d();
  }

  // bob has no SCRAM-SHA-256 credential, and a wrong password is wrong in either mechanism.
  for (const sasl of [
    { mechanism: 'scram-sha-256', username: 'alice', password: 'nope' },
    { mechanism: 'scram-sha-256', username: 'bob', password: 'bob-secret' },
    { mechanism: 'scram-sha-512', username: 'nobody', password: 'x' },
  ] as SASLOptions[]) {
    const admin = kafkajs(broker.port, certs, sasl).admin();
    await assert.rejects(admin.connect(), (e: Error & { type?: string }) => {
      assert.match(`${e.name} ${e.type ?? ''} ${e.message}`, /SASL_AUTHENTICATION_FAILED|Authentication failed|SASL SCRAM/i);
      return true;
    });
    await admin.disconnect();
  }
  assert.ok(broker.logger.lines.some((l) => l.includes('SASL/SCRAM-SHA-256 authentication failed')));
});

test('PLAIN is checked against the stored SCRAM hash: a wrong password gets SASL_AUTHENTICATION_FAILED (58), the right one gets in', { skip: !haveOpenssl && 'openssl is missing' }, async (t) => {
  const { broker, certs } = await tlsScramBroker(t);
  // PLAIN checks against the stored SCRAM hash: a raw client over TLS sees the exact codes.
  const socket = tlsConnect({ host: '127.0.0.1', port: broker.port, ca: readFileSync(certs.caFile), servername: 'localhost' });
  await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
  const c = RawClient.wrap(socket);
  t.after(() => c.close());
  assert.equal((await c.request(ApiKeys.SaslHandshake, 1, { mechanism: 'PLAIN' })).errorCode, 0);
  const bad = await c.request(ApiKeys.SaslAuthenticate, 2, { authBytes: Buffer.from('\0alice\0wrong') });
  assert.equal(bad.errorCode, 58);

  const c2 = RawClient.wrap(tlsConnect({ host: '127.0.0.1', port: broker.port, ca: readFileSync(certs.caFile), servername: 'localhost' }));
  t.after(() => c2.close());
  const hs = await c2.request(ApiKeys.SaslHandshake, 1, { mechanism: 'PLAIN' });
  assert.deepEqual([...hs.mechanisms].sort(), ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']);
  assert.equal((await c2.request(ApiKeys.SaslAuthenticate, 2, { authBytes: Buffer.from('\0alice\0alice-secret') })).errorCode, 0);
  assert.equal((await c2.request(ApiKeys.Metadata, 12, { topics: null })).brokers[0]!.host, 'localhost');
});

test('a plaintext client on the TLS port is disconnected', { skip: !haveOpenssl && 'openssl is missing' }, async (t) => {
  const { broker } = await tlsScramBroker(t);
  const c = await RawClient.connect(broker.port);
  t.after(() => c.close());
  c.write(c.encode(ApiKeys.ApiVersions, 3, { clientSoftwareName: 'plain', clientSoftwareVersion: '1' }));
  assert.equal(await c.waitClosed(10_000), true, 'the broker closed the plaintext connection');
  assert.equal(broker.connectionCount, 0);
});

test('kcat (librdkafka) with SCRAM-SHA-512 over TLS', { skip: !haveOpenssl ? 'openssl is missing' : !commandExists('kcat') && 'kcat is not installed' }, async (t) => {
  const { broker, certs } = await tlsScramBroker(t);
  const common = ['-b', `localhost:${broker.port}`, '-X', 'security.protocol=SASL_SSL', '-X', `ssl.ca.location=${certs.caFile}`, '-X', 'sasl.mechanisms=SCRAM-SHA-512', '-X', 'sasl.username=bob'];
  const produced = await run('kcat', [...common, '-X', 'sasl.password=bob-secret', '-P', '-t', 'kc'], { input: 'a\nb\nc\n' });
  assert.equal(produced.code, 0, produced.stderr);
  const consumed = await run('kcat', [...common, '-X', 'sasl.password=bob-secret', '-C', '-t', 'kc', '-e', '-f', '%s\n']);
  assert.equal(consumed.stdout, 'a\nb\nc\n', consumed.stderr);
  const refused = await run('kcat', [...common, '-X', 'sasl.password=wrong', '-L', '-m', '5'], { timeoutMs: 20_000 });
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /Authentication failed|SASL/i);
});

test('confluent-kafka-python with SCRAM-SHA-256 over TLS', { skip: !haveOpenssl ? 'openssl is missing' : !pythonModuleExists('confluent_kafka') && 'confluent-kafka is not installed' }, async (t) => {
  const { broker, certs } = await tlsScramBroker(t);
  const py = String.raw`
import sys
from confluent_kafka import Producer, Consumer
conf = {'bootstrap.servers': sys.argv[1], 'security.protocol': 'SASL_SSL', 'ssl.ca.location': sys.argv[2],
        'sasl.mechanisms': 'SCRAM-SHA-256', 'sasl.username': 'alice', 'sasl.password': sys.argv[3]}
p = Producer(conf)
for i in range(5):
    p.produce('ck', value=('v%d' % i).encode())
left = p.flush(20)
if left: sys.exit('not delivered: %d' % left)
c = Consumer(dict(conf, **{'group.id': 'ck-g', 'auto.offset.reset': 'earliest'}))
c.subscribe(['ck'])
got = []
import time
deadline = time.time() + 30
while len(got) < 5 and time.time() < deadline:
    m = c.poll(1.0)
    if m is None: continue
    if m.error(): sys.exit(str(m.error()))
    got.append(m.value().decode())
c.close()
print(','.join(got))
`;
  const r = await run('/usr/bin/python3', ['-c', py, `localhost:${broker.port}`, certs.caFile, 'alice-secret'], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'v0,v1,v2,v3,v4');
});

test('mTLS: a client certificate from the CA is User:<CN>; a certificate from another CA or none is refused', { skip: !haveOpenssl && 'openssl is missing' }, async (t) => {
  const { dir, cleanup } = tempDir('tributary-sec-');
  const certs = makeTestCerts(dir);
  const broker = await startTestBroker(dir, {
    security: { tls: { certFile: certs.certFile, keyFile: certs.keyFile, caFile: certs.caFile, clientAuth: 'required' }, acls: true },
  });
  t.after(async () => {
    await broker.close();
    cleanup();
  });
  const open = (cert?: string, key?: string) =>
    RawClient.wrap(
      tlsConnect({
        host: '127.0.0.1',
        port: broker.port,
        ca: readFileSync(certs.caFile),
        servername: 'localhost',
        ...(cert && key ? { cert: readFileSync(cert), key: readFileSync(key) } : {}),
      }),
    );
  // ACLs on: alice (from her certificate) may describe topic 'mtls'; nothing else.
  const { AclStore } = await import('../../../src/broker/security/index.js');
  new AclStore(dir).add([{ resourceType: 'TOPIC', resourceName: 'mtls', patternType: 'LITERAL', principal: 'User:alice', host: '*', operation: 'DESCRIBE', permission: 'ALLOW' }]);
  await broker.log.createTopic('mtls', { partitions: 1 });
  await broker.log.createTopic('other', { partitions: 1 });
  const alice = open(certs.clientCertFile, certs.clientKeyFile);
  t.after(() => alice.close());
  const m = await alice.request(ApiKeys.Metadata, 12, { topics: null });
  assert.deepEqual(m.topics.map((x) => x.name), ['mtls']);

  for (const stranger of [open(certs.strangerCertFile, certs.strangerKeyFile), open()]) {
    t.after(() => stranger.close());
    stranger.write(stranger.encode(ApiKeys.ApiVersions, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' }));
    assert.equal(await stranger.next().catch(() => null), null, 'refused at the handshake');
  }
});
