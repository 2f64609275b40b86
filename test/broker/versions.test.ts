import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKeys, ErrorCodes, apiSpec, type RequestApiKey, type RequestTypes } from '../../src/protocol/index.js';
import { encodeRecordBatch } from '../../src/records/index.js';
import { RawClient, startTestBroker, tempDir } from './helpers.js';

const ZERO = 'AAAAAAAAAAAAAAAAAAAAAA';

/**
 * Every API the broker advertises, at every version it advertises, through the generated codecs:
 * each answer must decode (the encoder refuses a field a version lacks, so this catches a handler
 * that fills one in) and carry the expected error code.
 */
test('every advertised API answers at every advertised version', async (t) => {
  const { dir, cleanup } = tempDir();
  const broker = await startTestBroker(dir);
  const c = await RawClient.connect(broker.port);
  t.after(async () => {
    c.close();
    await broker.close();
    cleanup();
  });
  await broker.log.createTopic('v', { partitions: 2 });
  const topicId = (await c.request(ApiKeys.Metadata, 12, { topics: [{ name: 'v', topicId: ZERO }] })).topics[0]!.topicId!;
  assert.notEqual(topicId, ZERO);

  const advertised = (await c.request(ApiKeys.ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' })).apiKeys;
  const served = new Map(advertised.map((a) => [a.apiKey, a]));
  for (const key of [0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 22, 23, 24, 25, 26, 28, 32, 36, 37, 42, 60, 61, 65, 66]) {
    assert.ok(served.has(key), `api key ${key} advertised`);
    assert.equal(served.get(key)!.maxVersion, apiSpec(key)!.maxStableVersion);
  }

  const batch = () => encodeRecordBatch({ records: [{ key: Buffer.from('k'), value: Buffer.from('v'), timestamp: 1000 }] });
  type Case = { body: (v: number) => unknown; check?: (r: any, v: number) => void };
  const cases: Partial<Record<RequestApiKey, Case>> = {
    [ApiKeys.ApiVersions]: { body: () => ({ clientSoftwareName: 't', clientSoftwareVersion: '1' }), check: (r) => assert.equal(r.errorCode, 0) },
    [ApiKeys.Metadata]: {
      body: (v) => ({ topics: [{ name: 'v', topicId: ZERO }], allowAutoTopicCreation: v >= 4 ? false : true }),
      check: (r) => {
        assert.equal(r.topics[0].errorCode, 0);
        assert.equal(r.topics[0].partitions.length, 2);
      },
    },
    [ApiKeys.Produce]: {
      body: (v) => ({ transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'v', partitionData: [{ index: 0, records: batch() }] }] }),
      check: (r) => assert.equal(r.responses[0].partitionResponses[0].errorCode, 0),
    },
    [ApiKeys.Fetch]: {
      body: (v) => ({
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        topics: [{ topic: v >= 13 ? undefined : 'v', topicId: v >= 13 ? topicId : ZERO, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
      }),
      check: (r) => {
        const p = r.responses[0].partitions[0];
        assert.equal(p.errorCode, 0);
        assert.ok(p.records.length > 0);
      },
    },
    [ApiKeys.ListOffsets]: {
      body: () => ({ replicaId: -1, topics: [{ name: 'v', partitions: [{ partitionIndex: 0, timestamp: -1n, maxNumOffsets: 1 }] }] }),
      check: (r, v) => {
        const p = r.topics[0].partitions[0];
        assert.equal(p.errorCode, 0);
        if (v === 0) assert.ok(p.oldStyleOffsets[0] > 0n);
        else assert.ok(p.offset > 0n);
      },
    },
    [ApiKeys.OffsetForLeaderEpoch]: {
      body: () => ({ replicaId: -1, topics: [{ topic: 'v', partitions: [{ partition: 0, leaderEpoch: 0 }] }] }),
      check: (r) => assert.ok(r.topics[0].partitions[0].endOffset > 0n),
    },
    [ApiKeys.FindCoordinator]: {
      body: (v) => (v >= 4 ? { keyType: 0, coordinatorKeys: ['g1', 'g2'] } : { key: 'g1', keyType: 0 }),
      check: (r, v) => {
        if (v >= 4) assert.deepEqual(r.coordinators.map((x: any) => [x.key, x.nodeId, x.port]), [['g1', 0, broker.port], ['g2', 0, broker.port]]);
        else assert.equal(r.port, broker.port);
      },
    },
    [ApiKeys.OffsetCommit]: {
      body: () => ({ groupId: 'simple', generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: 'v', partitions: [{ partitionIndex: 1, committedOffset: 7n, committedMetadata: 'm' }] }] }),
      check: (r) => assert.equal(r.topics[0].partitions[0].errorCode, 0),
    },
    [ApiKeys.OffsetFetch]: {
      body: (v) =>
        v >= 8
          ? { groups: [{ groupId: 'simple', topics: [{ name: 'v', partitionIndexes: [0, 1] }] }, { groupId: 'nobody', topics: null }] }
          : { groupId: 'simple', topics: [{ name: 'v', partitionIndexes: [0, 1] }] },
      check: (r, v) => {
        const parts = v >= 8 ? r.groups[0].topics[0].partitions : r.topics[0].partitions;
        assert.deepEqual(parts.map((p: any) => p.committedOffset), [-1n, 7n]);
        if (v >= 8) assert.deepEqual(r.groups[1].topics, []);
      },
    },
    [ApiKeys.JoinGroup]: {
      body: (v) => ({
        groupId: `join-v${v}`,
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 10_000,
        memberId: '',
        groupInstanceId: null,
        protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: Buffer.from([1, 2, 3]) }],
      }),
      check: (r, v) => {
        if (v >= 4) {
          assert.equal(r.errorCode, ErrorCodes.MEMBER_ID_REQUIRED);
          assert.ok(r.memberId.length > 0);
        } else {
          assert.equal(r.errorCode, 0);
          assert.equal(r.leader, r.memberId);
          assert.equal(r.members.length, 1);
        }
      },
    },
    [ApiKeys.Heartbeat]: { body: () => ({ groupId: 'nope', generationId: 1, memberId: 'm', groupInstanceId: null }), check: (r) => assert.equal(r.errorCode, ErrorCodes.UNKNOWN_MEMBER_ID) },
    [ApiKeys.LeaveGroup]: {
      body: (v) => (v >= 3 ? { groupId: 'nope', members: [{ memberId: 'm', groupInstanceId: null }] } : { groupId: 'nope', memberId: 'm' }),
      check: (r, v) => assert.equal(v >= 3 ? r.members[0].errorCode : r.errorCode, ErrorCodes.UNKNOWN_MEMBER_ID),
    },
    [ApiKeys.SyncGroup]: {
      body: () => ({ groupId: 'nope', generationId: 1, memberId: 'm', assignments: [] }),
      check: (r) => assert.equal(r.errorCode, ErrorCodes.UNKNOWN_MEMBER_ID),
    },
    [ApiKeys.DescribeGroups]: {
      body: () => ({ groups: ['simple', 'nope'] }),
      check: (r) => assert.deepEqual(r.groups.map((g: any) => g.groupState), ['Empty', 'Dead']),
    },
    [ApiKeys.ListGroups]: { body: () => ({ statesFilter: [], typesFilter: [] }), check: (r) => assert.ok(r.groups.some((g: any) => g.groupId === 'simple')) },
    [ApiKeys.SaslHandshake]: { body: () => ({ mechanism: 'PLAIN' }), check: (r) => assert.equal(r.errorCode, ErrorCodes.ILLEGAL_SASL_STATE) },
    [ApiKeys.SaslAuthenticate]: { body: () => ({ authBytes: Buffer.from('\0u\0p') }), check: (r) => assert.equal(r.errorCode, ErrorCodes.ILLEGAL_SASL_STATE) },
    // No --acls on this broker: the ACL APIs answer SECURITY_DISABLED (test/broker/security/acls.test.ts covers them enabled).
    [ApiKeys.DescribeAcls]: {
      body: (v) => ({ resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: v >= 1 ? 1 : 3, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 }),
      check: (r) => assert.equal(r.errorCode, ErrorCodes.SECURITY_DISABLED),
    },
    [ApiKeys.CreateAcls]: {
      body: () => ({ creations: [{ resourceType: 2, resourceName: 't', resourcePatternType: 3, principal: 'User:a', host: '*', operation: 3, permissionType: 3 }] }),
      check: (r) => assert.equal(r.results[0].errorCode, ErrorCodes.SECURITY_DISABLED),
    },
    [ApiKeys.DeleteAcls]: {
      body: (v) => ({ filters: [{ resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: v >= 1 ? 1 : 3, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 }] }),
      check: (r) => assert.equal(r.filterResults[0].errorCode, ErrorCodes.SECURITY_DISABLED),
    },
    [ApiKeys.CreateTopics]: {
      body: (v) => ({
        topics: [{ name: `created-v${v}`, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: '1000' }] }],
        timeoutMs: 1000,
        validateOnly: false,
      }),
      check: (r, v) => {
        assert.equal(r.topics[0].errorCode, 0);
        if (v >= 5) {
          assert.equal(r.topics[0].numPartitions, 2);
          assert.equal(r.topics[0].configs.find((x: any) => x.name === 'retention.ms').value, '1000');
        }
      },
    },
    [ApiKeys.CreatePartitions]: {
      body: (v) => ({ topics: [{ name: `created-v${Math.min(v, 7)}`, count: 3, assignments: null }], timeoutMs: 1000, validateOnly: false }),
      check: (r) => assert.equal(r.results[0].errorCode, 0),
    },
    [ApiKeys.DescribeConfigs]: {
      body: () => ({ resources: [{ resourceType: 2, resourceName: 'v', configurationKeys: null }, { resourceType: 4, resourceName: '0', configurationKeys: ['num.partitions'] }], includeSynonyms: false }),
      check: (r) => {
        assert.equal(r.results[0].errorCode, 0);
        assert.ok(r.results[0].configs.some((x: any) => x.name === 'cleanup.policy' && x.value === 'delete'));
        assert.deepEqual(r.results[1].configs.map((x: any) => [x.name, x.value]), [['num.partitions', '1']]);
      },
    },
    [ApiKeys.DescribeCluster]: { body: () => ({ includeClusterAuthorizedOperations: false }), check: (r) => assert.equal(r.brokers[0].port, broker.port) },
    [ApiKeys.InitProducerId]: {
      body: () => ({ transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }),
      check: (r) => {
        assert.equal(r.errorCode, 0);
        assert.ok(r.producerId >= 0n);
        assert.equal(r.producerEpoch, 0);
      },
    },
    [ApiKeys.AddPartitionsToTxn]: {
      body: (v) =>
        v >= 4
          ? { transactions: [{ transactionalId: 'nope', producerId: 5n, producerEpoch: 0, verifyOnly: true, topics: [{ name: 'v', partitions: [0] }] }] }
          : { v3AndBelowTransactionalId: 'nope', v3AndBelowProducerId: 5n, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [{ name: 'v', partitions: [0] }] },
      check: (r, v) => {
        const topics = v >= 4 ? r.resultsByTransaction[0].topicResults : r.resultsByTopicV3AndBelow;
        assert.equal(topics[0].resultsByPartition[0].partitionErrorCode, ErrorCodes.INVALID_PRODUCER_ID_MAPPING);
      },
    },
    [ApiKeys.AddOffsetsToTxn]: {
      body: () => ({ transactionalId: 'nope', producerId: 5n, producerEpoch: 0, groupId: 'g' }),
      check: (r) => assert.equal(r.errorCode, ErrorCodes.INVALID_PRODUCER_ID_MAPPING),
    },
    [ApiKeys.EndTxn]: {
      body: () => ({ transactionalId: 'nope', producerId: 5n, producerEpoch: 0, committed: true }),
      check: (r) => assert.equal(r.errorCode, ErrorCodes.INVALID_PRODUCER_ID_MAPPING),
    },
    [ApiKeys.TxnOffsetCommit]: {
      body: () => ({
        transactionalId: 'nope',
        groupId: 'txn-g',
        producerId: 5n,
        producerEpoch: 0,
        generationId: -1,
        memberId: '',
        groupInstanceId: null,
        topics: [{ name: 'v', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }],
      }),
      check: (r) => assert.equal(r.topics[0].partitions[0].errorCode, ErrorCodes.INVALID_PRODUCER_ID_MAPPING),
    },
    [ApiKeys.DescribeProducers]: {
      body: () => ({ topics: [{ name: 'v', partitionIndexes: [0, 9] }] }),
      check: (r) => {
        assert.deepEqual(r.topics[0].partitions.map((p: any) => p.errorCode), [0, ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION]);
        assert.deepEqual(r.topics[0].partitions[0].activeProducers, []);
      },
    },
    [ApiKeys.DescribeTransactions]: {
      body: () => ({ transactionalIds: ['nope'] }),
      check: (r) => assert.equal(r.transactionStates[0].errorCode, ErrorCodes.TRANSACTIONAL_ID_NOT_FOUND),
    },
    [ApiKeys.ListTransactions]: {
      body: () => ({ stateFilters: ['Ongoing', 'Bogus'], producerIdFilters: [], durationFilter: -1n }),
      check: (r) => {
        assert.equal(r.errorCode, 0);
        assert.deepEqual(r.unknownStateFilters, ['Bogus']);
      },
    },
    [ApiKeys.DeleteGroups]: { body: () => ({ groupsNames: ['nope'] }), check: (r) => assert.equal(r.results[0].errorCode, ErrorCodes.GROUP_ID_NOT_FOUND) },
    [ApiKeys.DeleteTopics]: {
      body: (v) => (v >= 6 ? { topics: [{ name: `created-v${Math.min(v, 7)}`, topicId: ZERO }], timeoutMs: 1000 } : { topicNames: [`created-v${v}`], timeoutMs: 1000 }),
      check: (r) => assert.equal(r.responses[0].errorCode, 0),
    },
  };

  // Creations first, so CreatePartitions and DeleteTopics find their topics.
  const order = [...served.keys()].sort((a, b) => (a === ApiKeys.CreateTopics ? -1 : b === ApiKeys.CreateTopics ? 1 : a === ApiKeys.DeleteTopics ? 1 : b === ApiKeys.DeleteTopics ? -1 : a - b));
  for (const key of order) {
    const range = served.get(key)!;
    const testCase = cases[key as RequestApiKey];
    assert.ok(testCase !== undefined, `a case for api key ${key}`);
    for (let v = range.minVersion; v <= range.maxVersion; v++) {
      if (key === ApiKeys.DeleteTopics && v >= 6 && v > 7) continue;
      let response: unknown;
      try {
        response = await c.request(key as RequestApiKey, v, testCase.body(v) as RequestTypes[RequestApiKey]);
      } catch (e) {
        assert.fail(`api key ${key} v${v}: ${(e as Error).message}\n${broker.logger.lines.slice(-3).join('\n')}`);
      }
      try {
        testCase.check?.(response, v);
      } catch (e) {
        (e as Error).message = `api key ${key} v${v}: ${(e as Error).message}`;
        throw e;
      }
    }
  }
  assert.deepEqual(broker.logger.lines.filter((l) => l.startsWith('warn')), []);
});
