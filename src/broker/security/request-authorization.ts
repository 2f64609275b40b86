import {
  ApiKeys,
  ErrorCodes,
  type AddOffsetsToTxnRequest,
  type AddPartitionsToTxnRequest,
  type AddPartitionsToTxnResponse,
  type CreatePartitionsRequest,
  type CreatePartitionsResponse,
  type CreateTopicsRequest,
  type CreateTopicsResponse,
  type DeleteGroupsRequest,
  type DeleteGroupsResponse,
  type DeleteTopicsRequest,
  type DeleteTopicsResponse,
  type DescribeConfigsRequest,
  type DescribeConfigsResponse,
  type DescribeGroupsRequest,
  type DescribeGroupsResponse,
  type EndTxnRequest,
  type FetchRequest,
  type FetchResponse,
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
  type HeartbeatRequest,
  type InitProducerIdRequest,
  type JoinGroupRequest,
  type LeaveGroupRequest,
  type ListGroupsResponse,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  type MetadataRequest,
  type MetadataResponse,
  type OffsetCommitRequest,
  type OffsetCommitResponse,
  type OffsetFetchRequest,
  type OffsetFetchResponse,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponse,
  type ProduceRequest,
  type ProduceResponse,
  type SyncGroupRequest,
  type TxnOffsetCommitRequest,
  type TxnOffsetCommitResponse,
} from '../../protocol/index.js';
import { CloseConnection, type RequestContext } from '../context.js';
import { AUTHORIZED_OPERATIONS_OMITTED } from '../errors.js';
import { ZERO_UUID } from '../topics.js';
import { CLUSTER_RESOURCE_NAME, type OperationName, type ResourceTypeName } from './acl.js';

/**
 * What ACLs make of one request (null: all of it is allowed):
 * - `reject`: the whole response, without running the handler (or a CloseConnection to throw);
 * - `body`: the request cut down to what is allowed, and `merge` to add the refused parts, with
 *   their *_AUTHORIZATION_FAILED codes, to the handler's response.
 * Refused resources never reach a handler, so nothing is written, created or read for them.
 */
export interface AuthorizationOutcome {
  reject?: unknown;
  body?: unknown;
  merge?: (response: unknown) => unknown;
}

const EMPTY = Buffer.alloc(0);
const { TOPIC_AUTHORIZATION_FAILED, GROUP_AUTHORIZATION_FAILED, CLUSTER_AUTHORIZATION_FAILED, TRANSACTIONAL_ID_AUTHORIZATION_FAILED } = ErrorCodes;

type Check = (operation: OperationName, type: ResourceTypeName, name: string) => boolean;

function checker(ctx: RequestContext): Check {
  const { authorizer } = ctx.broker.security;
  const { principal, clientAddress } = ctx.connection;
  return (operation, type, name) => authorizer.authorize(principal, clientAddress, operation, type, name);
}

/** Splits `items` by `allowed`; null when every item is allowed (nothing to change). */
function split<T>(items: readonly T[], allowed: (t: T) => boolean): { kept: T[]; refused: T[] } | null {
  const kept: T[] = [];
  const refused: T[] = [];
  for (const t of items) (allowed(t) ? kept : refused).push(t);
  return refused.length === 0 ? null : { kept, refused };
}

/** Kafka's rule for a topic that may be created on the way (auto-creation, CreateTopics): CREATE on the cluster or on the topic. */
function mayCreate(can: Check, topic: string): boolean {
  return can('CREATE', 'CLUSTER', CLUSTER_RESOURCE_NAME) || can('CREATE', 'TOPIC', topic);
}

export function authorizeRequest(ctx: RequestContext, apiKey: number, body: unknown): AuthorizationOutcome | null {
  const can = checker(ctx);
  const v = ctx.apiVersion;
  switch (apiKey) {
    case ApiKeys.Produce:
      return produce(ctx, can, body as ProduceRequest);
    case ApiKeys.Fetch:
      return fetch(ctx, can, body as FetchRequest);
    case ApiKeys.Metadata:
      return metadata(ctx, can, body as MetadataRequest);
    case ApiKeys.ListOffsets: {
      const req = body as ListOffsetsRequest;
      const s = split(req.topics, (t) => can('DESCRIBE', 'TOPIC', t.name));
      if (s === null) return null;
      const refused = s.refused.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: TOPIC_AUTHORIZATION_FAILED, oldStyleOffsets: [], timestamp: -1n, offset: -1n, leaderEpoch: -1 })),
      }));
      return { body: { ...req, topics: s.kept }, merge: (r) => ((r as ListOffsetsResponse).topics.push(...refused), r) };
    }
    case ApiKeys.OffsetForLeaderEpoch: {
      const req = body as OffsetForLeaderEpochRequest;
      const s = split(req.topics, (t) => can('DESCRIBE', 'TOPIC', t.topic));
      if (s === null) return null;
      const refused = s.refused.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p) => ({ errorCode: TOPIC_AUTHORIZATION_FAILED, partition: p.partition, leaderEpoch: -1, endOffset: -1n })),
      }));
      return { body: { ...req, topics: s.kept }, merge: (r) => ((r as OffsetForLeaderEpochResponse).topics.push(...refused), r) };
    }
    case ApiKeys.FindCoordinator:
      return findCoordinator(can, body as FindCoordinatorRequest, v);
    case ApiKeys.JoinGroup: {
      const req = body as JoinGroupRequest;
      if (can('READ', 'GROUP', req.groupId)) return null;
      return {
        // ProtocolName is nullable from v7 only.
        reject: { throttleTimeMs: 0, errorCode: GROUP_AUTHORIZATION_FAILED, generationId: -1, protocolType: null, protocolName: v >= 7 ? null : '', leader: '', skipAssignment: false, memberId: '', members: [] },
      };
    }
    case ApiKeys.SyncGroup: {
      const req = body as SyncGroupRequest;
      if (can('READ', 'GROUP', req.groupId)) return null;
      return { reject: { throttleTimeMs: 0, errorCode: GROUP_AUTHORIZATION_FAILED, protocolType: null, protocolName: null, assignment: EMPTY } };
    }
    case ApiKeys.Heartbeat:
      return can('READ', 'GROUP', (body as HeartbeatRequest).groupId) ? null : { reject: { throttleTimeMs: 0, errorCode: GROUP_AUTHORIZATION_FAILED } };
    case ApiKeys.LeaveGroup:
      return can('READ', 'GROUP', (body as LeaveGroupRequest).groupId) ? null : { reject: { throttleTimeMs: 0, errorCode: GROUP_AUTHORIZATION_FAILED, members: [] } };
    case ApiKeys.OffsetCommit:
      return offsetCommit(can, body as OffsetCommitRequest);
    case ApiKeys.OffsetFetch:
      return offsetFetch(can, body as OffsetFetchRequest, v);
    case ApiKeys.DescribeGroups: {
      const req = body as DescribeGroupsRequest;
      const s = split(req.groups, (g) => can('DESCRIBE', 'GROUP', g));
      if (s === null) return null;
      const refused = s.refused.map((groupId) => ({
        errorCode: GROUP_AUTHORIZATION_FAILED,
        groupId,
        groupState: '',
        protocolType: '',
        protocolData: '',
        members: [],
        authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
      }));
      return { body: { ...req, groups: s.kept }, merge: (r) => ((r as DescribeGroupsResponse).groups.push(...refused), r) };
    }
    case ApiKeys.ListGroups:
      // Kafka lists only the groups the principal may describe (all of them with DESCRIBE on the cluster).
      if (can('DESCRIBE', 'CLUSTER', CLUSTER_RESOURCE_NAME)) return null;
      return {
        merge: (r) => {
          const res = r as ListGroupsResponse;
          res.groups = res.groups.filter((g) => can('DESCRIBE', 'GROUP', g.groupId));
          return res;
        },
      };
    case ApiKeys.DeleteGroups: {
      const req = body as DeleteGroupsRequest;
      const s = split(req.groupsNames, (g) => can('DELETE', 'GROUP', g));
      if (s === null) return null;
      const refused = s.refused.map((groupId) => ({ groupId, errorCode: GROUP_AUTHORIZATION_FAILED }));
      return { body: { ...req, groupsNames: s.kept }, merge: (r) => ((r as DeleteGroupsResponse).results.push(...refused), r) };
    }
    case ApiKeys.CreateTopics: {
      const req = body as CreateTopicsRequest;
      const s = split(req.topics, (t) => mayCreate(can, t.name));
      if (s === null) return null;
      const refused = s.refused.map((t) => ({
        name: t.name,
        topicId: ZERO_UUID,
        errorCode: TOPIC_AUTHORIZATION_FAILED,
        errorMessage: 'Authorization failed.',
        topicConfigErrorCode: 0,
        numPartitions: -1,
        replicationFactor: -1,
        configs: null,
      }));
      return { body: { ...req, topics: s.kept }, merge: (r) => ((r as CreateTopicsResponse).topics.push(...refused), r) };
    }
    case ApiKeys.DeleteTopics:
      return deleteTopics(ctx, can, body as DeleteTopicsRequest, v);
    case ApiKeys.CreatePartitions: {
      const req = body as CreatePartitionsRequest;
      const s = split(req.topics, (t) => can('ALTER', 'TOPIC', t.name));
      if (s === null) return null;
      const refused = s.refused.map((t) => ({ name: t.name, errorCode: TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' }));
      return { body: { ...req, topics: s.kept }, merge: (r) => ((r as CreatePartitionsResponse).results.push(...refused), r) };
    }
    case ApiKeys.DescribeConfigs: {
      const req = body as DescribeConfigsRequest;
      const TOPIC = 2;
      const s = split(req.resources, (res) =>
        res.resourceType === TOPIC ? can('DESCRIBE_CONFIGS', 'TOPIC', res.resourceName) : can('DESCRIBE_CONFIGS', 'CLUSTER', CLUSTER_RESOURCE_NAME),
      );
      if (s === null) return null;
      const refused = s.refused.map((res) => ({
        errorCode: res.resourceType === TOPIC ? TOPIC_AUTHORIZATION_FAILED : CLUSTER_AUTHORIZATION_FAILED,
        errorMessage: 'Authorization failed.',
        resourceType: res.resourceType,
        resourceName: res.resourceName,
        configs: [],
      }));
      return { body: { ...req, resources: s.kept }, merge: (r) => ((r as DescribeConfigsResponse).results.push(...refused), r) };
    }
    case ApiKeys.DescribeCluster:
      if (can('DESCRIBE', 'CLUSTER', CLUSTER_RESOURCE_NAME)) return null;
      return {
        reject: {
          throttleTimeMs: 0,
          errorCode: CLUSTER_AUTHORIZATION_FAILED,
          errorMessage: 'Authorization failed.',
          endpointType: 1,
          clusterId: '',
          controllerId: -1,
          brokers: [],
          clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
        },
      };
    case ApiKeys.InitProducerId: {
      const req = body as InitProducerIdRequest;
      const allowed =
        req.transactionalId !== null
          ? can('WRITE', 'TRANSACTIONAL_ID', req.transactionalId)
          : can('IDEMPOTENT_WRITE', 'CLUSTER', CLUSTER_RESOURCE_NAME) ||
            ctx.broker.security.authorizer.authorizeAny(ctx.connection.principal, ctx.connection.clientAddress, 'WRITE', 'TOPIC');
      if (allowed) return null;
      const errorCode = req.transactionalId !== null ? TRANSACTIONAL_ID_AUTHORIZATION_FAILED : CLUSTER_AUTHORIZATION_FAILED;
      return { reject: { throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 } };
    }
    case ApiKeys.AddPartitionsToTxn:
      return addPartitionsToTxn(can, body as AddPartitionsToTxnRequest, v);
    case ApiKeys.AddOffsetsToTxn: {
      const req = body as AddOffsetsToTxnRequest;
      if (!can('WRITE', 'TRANSACTIONAL_ID', req.transactionalId)) return { reject: { throttleTimeMs: 0, errorCode: TRANSACTIONAL_ID_AUTHORIZATION_FAILED } };
      if (!can('READ', 'GROUP', req.groupId)) return { reject: { throttleTimeMs: 0, errorCode: GROUP_AUTHORIZATION_FAILED } };
      return null;
    }
    case ApiKeys.EndTxn: {
      const req = body as EndTxnRequest;
      if (can('WRITE', 'TRANSACTIONAL_ID', req.transactionalId)) return null;
      return { reject: { throttleTimeMs: 0, errorCode: TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 } };
    }
    case ApiKeys.TxnOffsetCommit:
      return txnOffsetCommit(can, body as TxnOffsetCommitRequest);
    default:
      // ApiVersions, SASL, the ACL APIs (which check CLUSTER themselves) and the read-only admin
      // APIs about producers and transactions need no resource checks here.
      return null;
  }
}

function produce(ctx: RequestContext, can: Check, req: ProduceRequest): AuthorizationOutcome | null {
  const txnRefused = req.transactionalId != null && !can('WRITE', 'TRANSACTIONAL_ID', req.transactionalId);
  const codeFor = (name: string): number | null => {
    if (txnRefused) return TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    if (!can('WRITE', 'TOPIC', name)) return TOPIC_AUTHORIZATION_FAILED;
    // Writing to a topic that does not exist creates it: that needs CREATE too.
    if (!ctx.broker.topics.exists(name) && !mayCreate(can, name)) return ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION;
    return null;
  };
  const codes = new Map<string, number>();
  for (const t of req.topicData) {
    const c = codeFor(t.name);
    if (c !== null) codes.set(t.name, c);
  }
  if (codes.size === 0) return null;
  // acks=0 gets no answer: Kafka tells such a producer of a failure by closing the connection.
  if (req.acks === 0) return { reject: new CloseConnection('acks=0 produce refused by ACLs') };
  const refused = req.topicData
    .filter((t) => codes.has(t.name))
    .map((t) => ({
      name: t.name,
      partitionResponses: t.partitionData.map((p) => ({
        index: p.index,
        errorCode: codes.get(t.name)!,
        baseOffset: -1n,
        logAppendTimeMs: -1n,
        logStartOffset: -1n,
        recordErrors: [],
        errorMessage: null,
      })),
    }));
  const kept = req.topicData.filter((t) => !codes.has(t.name));
  if (kept.length === 0) return { reject: { responses: refused, throttleTimeMs: 0 } };
  return { body: { ...req, topicData: kept }, merge: (r) => ((r as ProduceResponse).responses.push(...refused), r) };
}

function fetch(ctx: RequestContext, can: Check, req: FetchRequest): AuthorizationOutcome | null {
  const byId = ctx.apiVersion >= 13;
  const s = split(req.topics, (t) => {
    const name = byId ? ctx.broker.topics.nameOf(t.topicId ?? ZERO_UUID) : (t.topic ?? '');
    // An unknown topic id is the handler's to answer (UNKNOWN_TOPIC_ID); it reveals nothing.
    return name === null || can('READ', 'TOPIC', name);
  });
  if (s === null) return null;
  const refused = s.refused.map((t) => ({
    ...(byId ? { topicId: t.topicId } : { topic: t.topic }),
    partitions: t.partitions.map((p) => ({
      partitionIndex: p.partition,
      errorCode: TOPIC_AUTHORIZATION_FAILED,
      highWatermark: -1n,
      lastStableOffset: -1n,
      logStartOffset: -1n,
      abortedTransactions: null,
      preferredReadReplica: -1,
      records: EMPTY,
    })),
  }));
  // Nothing left to read: answer now rather than long-poll on nothing.
  if (s.kept.length === 0) return { reject: { throttleTimeMs: 0, errorCode: ErrorCodes.NONE, sessionId: 0, responses: refused } };
  return { body: { ...req, topics: s.kept }, merge: (r) => ((r as FetchResponse).responses.push(...refused), r) };
}

function metadataTopicError(name: string | null, errorCode: number) {
  return { errorCode, name, topicId: ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED };
}

function metadata(ctx: RequestContext, can: Check, req: MetadataRequest): AuthorizationOutcome | null {
  const v = ctx.apiVersion;
  if (req.topics === null || (v === 0 && req.topics.length === 0)) {
    // All topics: the ones the principal may not describe are simply left out (as Kafka does).
    return {
      merge: (r) => {
        const res = r as MetadataResponse;
        res.topics = res.topics.filter((t) => t.name !== null && can('DESCRIBE', 'TOPIC', t.name));
        return res;
      },
    };
  }
  const autoCreate = ctx.broker.config.autoCreateTopics && (v < 4 || req.allowAutoTopicCreation !== false);
  const codes = new Map<(typeof req.topics)[number], number>();
  for (const t of req.topics) {
    const name = t.name ?? ctx.broker.topics.nameOf(t.topicId ?? ZERO_UUID);
    if (name === null) continue;
    if (!can('DESCRIBE', 'TOPIC', name)) codes.set(t, TOPIC_AUTHORIZATION_FAILED);
    else if (autoCreate && !ctx.broker.topics.exists(name) && !mayCreate(can, name)) codes.set(t, ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION);
  }
  if (codes.size === 0) return null;
  const refused = [...codes].map(([t, code]) => metadataTopicError(t.name, code));
  return {
    body: { ...req, topics: req.topics.filter((t) => !codes.has(t)) },
    merge: (r) => ((r as MetadataResponse).topics.push(...refused), r),
  };
}

function findCoordinator(can: Check, req: FindCoordinatorRequest, v: number): AuthorizationOutcome | null {
  const txn = req.keyType === 1;
  const allowed = (key: string) => (txn ? can('DESCRIBE', 'TRANSACTIONAL_ID', key) : can('DESCRIBE', 'GROUP', key));
  const errorCode = txn ? TRANSACTIONAL_ID_AUTHORIZATION_FAILED : GROUP_AUTHORIZATION_FAILED;
  if (v < 4) {
    if (allowed(req.key ?? '')) return null;
    return { reject: { throttleTimeMs: 0, errorCode, errorMessage: 'Authorization failed.', nodeId: -1, host: '', port: -1, coordinators: [] } };
  }
  const s = split(req.coordinatorKeys ?? [], allowed);
  if (s === null) return null;
  const refused = s.refused.map((key) => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage: 'Authorization failed.' }));
  if (s.kept.length === 0) return { reject: { throttleTimeMs: 0, coordinators: refused } };
  return {
    body: { ...req, coordinatorKeys: s.kept },
    merge: (r) => ((r as FindCoordinatorResponse).coordinators!.push(...refused), r),
  };
}

function offsetCommit(can: Check, req: OffsetCommitRequest): AuthorizationOutcome | null {
  const partitionsOf = (t: OffsetCommitRequest['topics'][number], errorCode: number) => ({
    name: t.name,
    partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
  });
  if (!can('READ', 'GROUP', req.groupId)) return { reject: { throttleTimeMs: 0, topics: req.topics.map((t) => partitionsOf(t, GROUP_AUTHORIZATION_FAILED)) } };
  const s = split(req.topics, (t) => can('READ', 'TOPIC', t.name));
  if (s === null) return null;
  const refused = s.refused.map((t) => partitionsOf(t, TOPIC_AUTHORIZATION_FAILED));
  return { body: { ...req, topics: s.kept }, merge: (r) => ((r as OffsetCommitResponse).topics.push(...refused), r) };
}

function offsetFetch(can: Check, req: OffsetFetchRequest, v: number): AuthorizationOutcome | null {
  const visibleTopics = <T extends { name: string }>(topics: T[]) => topics.filter((t) => can('DESCRIBE', 'TOPIC', t.name));
  if (v < 8) {
    if (!can('DESCRIBE', 'GROUP', req.groupId ?? '')) return { reject: { throttleTimeMs: 0, topics: [], errorCode: GROUP_AUTHORIZATION_FAILED } };
    const refused = (req.topics ?? [])
      .filter((t) => !can('DESCRIBE', 'TOPIC', t.name))
      .map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => ({
          partitionIndex,
          committedOffset: -1n,
          committedLeaderEpoch: -1,
          metadata: null,
          errorCode: TOPIC_AUTHORIZATION_FAILED,
        })),
      }));
    const refusedNames = new Set(refused.map((t) => t.name));
    return {
      body: req.topics == null ? req : { ...req, topics: req.topics.filter((t) => !refusedNames.has(t.name)) },
      merge: (r) => {
        const res = r as OffsetFetchResponse;
        res.topics = [...visibleTopics(res.topics ?? []), ...refused];
        return res;
      },
    };
  }
  const s = split(req.groups ?? [], (g) => can('DESCRIBE', 'GROUP', g.groupId));
  const refused = (s?.refused ?? []).map((g) => ({ groupId: g.groupId, topics: [], errorCode: GROUP_AUTHORIZATION_FAILED }));
  return {
    body: s === null ? req : { ...req, groups: s.kept },
    merge: (r) => {
      const res = r as OffsetFetchResponse;
      for (const g of res.groups ?? []) g.topics = visibleTopics(g.topics);
      res.groups = [...(res.groups ?? []), ...refused];
      return res;
    },
  };
}

function deleteTopics(ctx: RequestContext, can: Check, req: DeleteTopicsRequest, v: number): AuthorizationOutcome | null {
  if (v < 6) {
    const s = split(req.topicNames ?? [], (n) => can('DELETE', 'TOPIC', n));
    if (s === null) return null;
    const refused = s.refused.map((name) => ({ name, errorCode: TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' }));
    return { body: { ...req, topicNames: s.kept }, merge: (r) => ((r as DeleteTopicsResponse).responses.push(...refused), r) };
  }
  const s = split(req.topics ?? [], (t) => {
    const name = t.name ?? ctx.broker.topics.nameOf(t.topicId);
    return name === null || can('DELETE', 'TOPIC', name);
  });
  if (s === null) return null;
  const refused = s.refused.map((t) => ({ name: t.name, topicId: t.topicId, errorCode: TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' }));
  return { body: { ...req, topics: s.kept }, merge: (r) => ((r as DeleteTopicsResponse).responses.push(...refused), r) };
}

type TxnTopics = NonNullable<AddPartitionsToTxnRequest['v3AndBelowTopics']>;

/** Kafka: the refused partitions get their code, every other one OPERATION_NOT_ATTEMPTED, and nothing is added. */
function txnPartitionResults(can: Check, transactionalId: string, topics: TxnTopics) {
  const txnOk = can('WRITE', 'TRANSACTIONAL_ID', transactionalId);
  const codeOf = (name: string) => (!txnOk ? TRANSACTIONAL_ID_AUTHORIZATION_FAILED : can('WRITE', 'TOPIC', name) ? null : TOPIC_AUTHORIZATION_FAILED);
  if (topics.every((t) => codeOf(t.name) === null)) return null;
  return topics.map((t) => ({
    name: t.name,
    resultsByPartition: t.partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: codeOf(t.name) ?? ErrorCodes.OPERATION_NOT_ATTEMPTED })),
  }));
}

function addPartitionsToTxn(can: Check, req: AddPartitionsToTxnRequest, v: number): AuthorizationOutcome | null {
  if (v < 4) {
    const results = txnPartitionResults(can, req.v3AndBelowTransactionalId ?? '', req.v3AndBelowTopics ?? []);
    return results === null ? null : { reject: { throttleTimeMs: 0, resultsByTopicV3AndBelow: results } };
  }
  const refused: { transactionalId: string; topicResults: ReturnType<typeof txnPartitionResults> & object }[] = [];
  const kept = (req.transactions ?? []).filter((t) => {
    const results = txnPartitionResults(can, t.transactionalId, t.topics);
    if (results !== null) refused.push({ transactionalId: t.transactionalId, topicResults: results });
    return results === null;
  });
  if (refused.length === 0) return null;
  return {
    body: { ...req, transactions: kept },
    merge: (r) => {
      const res = r as AddPartitionsToTxnResponse;
      res.resultsByTransaction = [...(res.resultsByTransaction ?? []), ...refused];
      return res;
    },
  };
}

function txnOffsetCommit(can: Check, req: TxnOffsetCommitRequest): AuthorizationOutcome | null {
  const all = (errorCode: number) => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
  });
  if (!can('WRITE', 'TRANSACTIONAL_ID', req.transactionalId)) return { reject: all(TRANSACTIONAL_ID_AUTHORIZATION_FAILED) };
  if (!can('READ', 'GROUP', req.groupId)) return { reject: all(GROUP_AUTHORIZATION_FAILED) };
  const s = split(req.topics, (t) => can('READ', 'TOPIC', t.name));
  if (s === null) return null;
  const refused = s.refused.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: TOPIC_AUTHORIZATION_FAILED })) }));
  return { body: { ...req, topics: s.kept }, merge: (r) => ((r as TxnOffsetCommitResponse).topics.push(...refused), r) };
}
