import type { AnyHandler } from '../handler.js';
import { addOffsetsToTxn } from './add-offsets-to-txn.js';
import { addPartitionsToTxn } from './add-partitions-to-txn.js';
import { apiVersions } from './api-versions.js';
import { createAcls } from './create-acls.js';
import { createPartitions } from './create-partitions.js';
import { createTopics } from './create-topics.js';
import { deleteAcls } from './delete-acls.js';
import { deleteGroups } from './delete-groups.js';
import { deleteTopics } from './delete-topics.js';
import { describeAcls } from './describe-acls.js';
import { describeCluster } from './describe-cluster.js';
import { describeConfigs } from './describe-configs.js';
import { describeGroups } from './describe-groups.js';
import { describeProducers } from './describe-producers.js';
import { endTxn } from './end-txn.js';
import { fetch } from './fetch.js';
import { findCoordinator } from './find-coordinator.js';
import { heartbeat } from './heartbeat.js';
import { initProducerId } from './init-producer-id.js';
import { joinGroup } from './join-group.js';
import { leaveGroup } from './leave-group.js';
import { listGroups } from './list-groups.js';
import { listOffsets } from './list-offsets.js';
import { metadata } from './metadata.js';
import { offsetCommit } from './offset-commit.js';
import { offsetFetch } from './offset-fetch.js';
import { offsetForLeaderEpoch } from './offset-for-leader-epoch.js';
import { produce } from './produce.js';
import { saslAuthenticate, saslHandshake } from './sasl.js';
import { syncGroup } from './sync-group.js';
import { describeTransactions, listTransactions } from './transactions-admin.js';
import { txnOffsetCommit } from './txn-offset-commit.js';

/** Every API the broker serves. SASL handlers are left out of ApiVersions unless SASL is configured. */
export const HANDLERS: readonly AnyHandler[] = [
  produce,
  fetch,
  listOffsets,
  metadata,
  offsetCommit,
  offsetFetch,
  findCoordinator,
  joinGroup,
  heartbeat,
  leaveGroup,
  syncGroup,
  describeGroups,
  listGroups,
  saslHandshake,
  apiVersions,
  createTopics,
  deleteTopics,
  offsetForLeaderEpoch,
  initProducerId,
  addPartitionsToTxn,
  addOffsetsToTxn,
  endTxn,
  txnOffsetCommit,
  describeConfigs,
  describeAcls,
  createAcls,
  deleteAcls,
  saslAuthenticate,
  createPartitions,
  deleteGroups,
  describeCluster,
  describeProducers,
  describeTransactions,
  listTransactions,
] as AnyHandler[];
