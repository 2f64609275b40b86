import { test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { AclAuthorizer, AclStore, CredentialStore, type AclBinding } from '../../../src/broker/security/index.js';
import { ApiKeys } from '../../../src/protocol/index.js';
import { RawClient, startTestBroker, tempDir } from '../helpers.js';
import { batchOf } from './records.js';

// kafkajs is CommonJS: its enums are reached through the default export.
const { Kafka, logLevel, AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes } = kafkajs;

const allow = (principal: string, operation: AclBinding['operation'], resourceType: AclBinding['resourceType'], resourceName: string, patternType: AclBinding['patternType'] = 'LITERAL'): AclBinding => ({
  principal,
  operation,
  resourceType,
  resourceName,
  patternType,
  host: '*',
  permission: 'ALLOW',
});

test('authorizer: deny by default, literal/wildcard/prefixed names, DENY wins, READ implies DESCRIBE, super users', () => {
  const { dir, cleanup } = tempDir('tributary-acl-');
  try {
    const store = new AclStore(dir);
    store.add([
      allow('User:alice', 'READ', 'TOPIC', 'orders'),
      allow('User:alice', 'WRITE', 'TOPIC', 'app-', 'PREFIXED'),
      allow('User:*', 'DESCRIBE', 'GROUP', '*'),
      { ...allow('User:alice', 'ALL', 'TOPIC', 'app-secret'), permission: 'DENY' },
    ]);
    const a = new AclAuthorizer(store, ['User:admin']);
    const can = (p: string | null, op: AclBinding['operation'], type: AclBinding['resourceType'], name: string) => a.authorize(p, '10.0.0.1', op, type, name);
    assert.equal(can('User:alice', 'READ', 'TOPIC', 'orders'), true);
    assert.equal(can('User:alice', 'DESCRIBE', 'TOPIC', 'orders'), true, 'READ implies DESCRIBE');
    assert.equal(can('User:alice', 'WRITE', 'TOPIC', 'orders'), false, 'deny by default');
    assert.equal(can('User:alice', 'WRITE', 'TOPIC', 'app-events'), true, 'prefixed');
    assert.equal(can('User:alice', 'WRITE', 'TOPIC', 'app-secret'), false, 'DENY wins over the prefixed ALLOW');
    assert.equal(can('User:alice', 'WRITE', 'TOPIC', 'ap'), false);
    assert.equal(can('User:bob', 'DESCRIBE', 'GROUP', 'any-group'), true, 'User:* and the * name');
    assert.equal(can(null, 'READ', 'TOPIC', 'orders'), false, 'anonymous');
    assert.equal(can('User:admin', 'DELETE', 'TOPIC', 'orders'), true, 'super user');
    // Persisted: a new store on the same directory sees the same bindings.
    assert.equal(new AclStore(dir).list({ resourceType: 'ANY', resourceName: null, patternType: 'ANY', principal: 'User:alice', host: null, operation: 'ANY', permission: 'ANY' }).length, 3);
  } finally {
    cleanup();
  }
});

async function aclBroker(t: { after: (fn: () => unknown) => void }) {
  const { dir, cleanup } = tempDir('tributary-acl-');
  const users = new CredentialStore(dir);
  await users.add('admin', 'admin-pw', ['SCRAM-SHA-256']);
  await users.add('alice', 'alice-pw', ['SCRAM-SHA-256']);
  new AclStore(dir).add([
    allow('User:alice', 'WRITE', 'TOPIC', 'allowed'),
    allow('User:alice', 'READ', 'TOPIC', 'allowed'),
    allow('User:alice', 'READ', 'GROUP', 'alice-', 'PREFIXED'),
  ]);
  const broker = await startTestBroker(dir, { security: { sasl: ['SCRAM-SHA-256', 'PLAIN'], acls: true, superUsers: ['User:admin'] } });
  t.after(async () => {
    await broker.close();
    cleanup();
  });
  await broker.log.createTopic('allowed', { partitions: 1 });
  await broker.log.createTopic('forbidden', { partitions: 1 });
  const kafka = (username: string, password: string) =>
    new Kafka({ clientId: `acl-${username}`, brokers: [`127.0.0.1:${broker.port}`], sasl: { mechanism: 'scram-sha-256', username, password }, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  return { broker, dir, kafka };
}

test('kafkajs: an unauthorized produce gets TOPIC_AUTHORIZATION_FAILED and nothing is written; an authorized one works', async (t) => {
  const { broker, kafka } = await aclBroker(t);
  const producer = kafka('alice', 'alice-pw').producer();
  await producer.connect();
  t.after(() => producer.disconnect());
  const [ok] = await producer.send({ topic: 'allowed', messages: [{ value: 'fine' }] });
  assert.equal(ok!.errorCode, 0);
  await assert.rejects(producer.send({ topic: 'forbidden', messages: [{ value: 'sneaky' }] }), (e: Error & { type?: string }) => {
    assert.match(`${e.type ?? ''} ${e.message}`, /TOPIC_AUTHORIZATION_FAILED|Not authorized to access topics/);
    return true;
  });
  assert.equal(broker.log.partition('forbidden', 0).logEndOffset, 0, 'nothing written to the forbidden topic');
  assert.equal(broker.log.partition('allowed', 0).logEndOffset, 1);
  assert.equal(broker.log.listTopics().includes('made-up'), false);
});

test('raw protocol: per-topic produce errors, Metadata filtered, fetch, groups and topic creation refused with their codes', async (t) => {
  const { broker } = await aclBroker(t);
  const c = await RawClient.connect(broker.port);
  t.after(() => c.close());
  assert.equal((await c.request(ApiKeys.SaslHandshake, 1, { mechanism: 'PLAIN' })).errorCode, 0);
  assert.equal((await c.request(ApiKeys.SaslAuthenticate, 2, { authBytes: Buffer.from('\0alice\0alice-pw') })).errorCode, 0);

  const produced = await c.request(ApiKeys.Produce, 9, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData: [
      { name: 'allowed', partitionData: [{ index: 0, records: batchOf(['a']) }] },
      { name: 'forbidden', partitionData: [{ index: 0, records: batchOf(['b']) }] },
      { name: 'new-topic', partitionData: [{ index: 0, records: batchOf(['c']) }] },
    ],
  });
  const codes = Object.fromEntries(produced.responses.map((r) => [r.name, r.partitionResponses[0]!.errorCode]));
  assert.deepEqual(codes, { allowed: 0, forbidden: 29, 'new-topic': 29 });
  assert.equal(broker.log.partition('forbidden', 0).logEndOffset, 0);
  assert.equal(broker.log.listTopics().includes('new-topic'), false, 'no auto-creation without CREATE');

  const all = await c.request(ApiKeys.Metadata, 12, { topics: null, allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false });
  assert.deepEqual(all.topics.map((x) => x.name), ['allowed'], 'only describable topics are listed');
  const named = await c.request(ApiKeys.Metadata, 12, { topics: [{ name: 'forbidden', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false });
  assert.equal(named.topics[0]!.errorCode, 29);

  const fetched = await c.request(ApiKeys.Fetch, 11, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      { topic: 'allowed', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] },
      { topic: 'forbidden', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] },
    ],
    forgottenTopicsData: [],
    rackId: '',
  });
  const fetchCodes = Object.fromEntries(fetched.responses.map((r) => [r.topic, r.partitions[0]!.errorCode]));
  assert.deepEqual(fetchCodes, { allowed: 0, forbidden: 29 });
  assert.ok((fetched.responses.find((r) => r.topic === 'allowed')!.partitions[0]!.records ?? Buffer.alloc(0)).length > 0);

  const join = await c.request(ApiKeys.JoinGroup, 5, {
    groupId: 'bob-group',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
  });
  assert.equal(join.errorCode, 30, 'GROUP_AUTHORIZATION_FAILED');
  const fc = await c.request(ApiKeys.FindCoordinator, 2, { key: 'alice-group', keyType: 0 });
  assert.equal(fc.errorCode, 0, 'READ on the prefixed group implies DESCRIBE');

  const created = await c.request(ApiKeys.CreateTopics, 5, { topics: [{ name: 'mine', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  assert.equal(created.topics[0]!.errorCode, 29);
  assert.equal(broker.log.listTopics().includes('mine'), false);

  const txn = await c.request(ApiKeys.InitProducerId, 3, { transactionalId: 'tx-1', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
  assert.equal(txn.errorCode, 53, 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED');
});

test('the ACL APIs through kafkajs admin: super user creates, describes and deletes; others get CLUSTER_AUTHORIZATION_FAILED; changes persist', async (t) => {
  const { broker, dir, kafka } = await aclBroker(t);
  const admin = kafka('admin', 'admin-pw').admin();
  await admin.connect();
  t.after(() => admin.disconnect());
  await admin.createAcls({
    acl: [
      {
        resourceType: AclResourceTypes.TOPIC,
        resourceName: 'forbidden',
        resourcePatternType: ResourcePatternTypes.LITERAL,
        principal: 'User:alice',
        host: '*',
        operation: AclOperationTypes.WRITE,
        permissionType: AclPermissionTypes.ALLOW,
      },
    ],
  });
  assert.ok(new AclStore(dir).list({ resourceType: 'TOPIC', resourceName: 'forbidden', patternType: 'ANY', principal: null, host: null, operation: 'ANY', permission: 'ANY' }).length === 1, 'written to the data dir');
  const described = await admin.describeAcls({
    resourceType: AclResourceTypes.TOPIC,
    resourcePatternType: ResourcePatternTypes.ANY,
    operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY,
  });
  const names = described.resources.map((r) => r.resourceName).sort();
  assert.deepEqual(names, ['allowed', 'forbidden']);

  // alice may now write to 'forbidden' (the broker sees the new ACL at once).
  const producer = kafka('alice', 'alice-pw').producer();
  await producer.connect();
  t.after(() => producer.disconnect());
  await producer.send({ topic: 'forbidden', messages: [{ value: 'now allowed' }] });
  assert.equal(broker.log.partition('forbidden', 0).logEndOffset, 1);

  const aliceAdmin = kafka('alice', 'alice-pw').admin();
  await aliceAdmin.connect();
  t.after(() => aliceAdmin.disconnect());
  await assert.rejects(
    aliceAdmin.describeAcls({ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY }),
    /CLUSTER_AUTHORIZATION_FAILED|Cluster authorization failed/i,
  );

  const deleted = await admin.deleteAcls({
    filters: [{ resourceType: AclResourceTypes.TOPIC, resourceName: 'forbidden', resourcePatternType: ResourcePatternTypes.LITERAL, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY }],
  });
  assert.equal(deleted.filterResponses[0]!.matchingAcls.length, 1);
  await assert.rejects(producer.send({ topic: 'forbidden', messages: [{ value: 'no more' }] }), /TOPIC_AUTHORIZATION_FAILED|Not authorized/);
  assert.equal(broker.log.partition('forbidden', 0).logEndOffset, 1);
});

test('without --acls the ACL APIs answer SECURITY_DISABLED', async (t) => {
  const { dir, cleanup } = tempDir('tributary-acl-');
  const broker = await startTestBroker(dir);
  t.after(async () => {
    await broker.close();
    cleanup();
  });
  const c = await RawClient.connect(broker.port);
  t.after(() => c.close());
  const r = await c.request(ApiKeys.DescribeAcls, 3, { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 });
  assert.equal(r.errorCode, 54);
});
