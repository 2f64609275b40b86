import { randomUUID } from 'node:crypto';
import {
  ConsumerOffsetsTopic,
  groupKey,
  groupValue,
  offsetKey,
  offsetValue,
  type CommittedOffset,
  type OffsetsTopicRecord,
  type TransactionCompletion,
} from '../../log/index.js';
import { ErrorCodes, errorCodeOf } from '../../protocol/index.js';
import type { BrokerConfig, BrokerLogger } from '../options.js';
import type { TopicService } from '../topics.js';
import { EMPTY_BUFFER, Group, Member, type GroupState, type JoinResult, type Protocol, type SyncResult } from './group.js';

/** Kafka's offset.metadata.max.bytes. */
const MAX_OFFSET_METADATA_BYTES = 4096;

/** An offset as Kafka checks it before committing: its partition exists, its metadata fits; else the error code. */
function checkedOffset(o: OffsetToCommit, partitions: number, now: number): CommittedOffset | number {
  if (o.partition < 0 || o.partition >= partitions) return ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION;
  const metadata = o.metadata ?? '';
  if (Buffer.byteLength(metadata) > MAX_OFFSET_METADATA_BYTES) return ErrorCodes.OFFSET_METADATA_TOO_LARGE;
  return { offset: o.offset, leaderEpoch: o.leaderEpoch, metadata, commitTimestamp: now };
}
/** Kafka's GroupCoordinator.NewMemberJoinTimeoutMs: a new member has this long to finish joining. */
const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000;

export interface JoinParams {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  /** JoinGroup v4+: a member without an id gets one with MEMBER_ID_REQUIRED and must rejoin with it. */
  requireKnownMemberId: boolean;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
}

export interface SyncParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: { memberId: string; assignment: Buffer }[];
}

/** One offset of an OffsetCommit or TxnOffsetCommit. */
export interface OffsetToCommit {
  topic: string;
  partition: number;
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
}

export interface CommitParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  offsets: OffsetToCommit[];
}

export interface TxnCommitParams {
  transactionalId: string;
  groupId: string;
  producerId: number;
  producerEpoch: number;
  /** -1 (and memberId '') when the client does not say (TxnOffsetCommit v0-v2). */
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  offsets: OffsetToCommit[];
  /**
   * Checks the producer against the transaction coordinator (its transaction is ongoing and holds
   * the group's offsets partition); throws a TransactionError. Runs synchronously right before the
   * append, so no marker can come between the check and the write.
   */
  verify: (offsetsPartition: number) => void;
}

interface PendingTxnOffset {
  topic: string;
  partition: number;
  value: CommittedOffset;
}

function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export interface FetchedOffset {
  partition: number;
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  groupState: GroupState;
  protocolType: string;
  protocolData: string;
  members: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    memberMetadata: Buffer;
    memberAssignment: Buffer;
  }[];
}

function joinError(errorCode: number, memberId = ''): JoinResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [], skipAssignment: false };
}

function syncError(errorCode: number): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BUFFER };
}

/**
 * The classic group coordinator (Kafka's GroupCoordinator): member ids (KIP-394), generations,
 * rebalances on join, leave and session expiry, rebalance timeouts, static membership
 * (group.instance.id, KIP-345), protocol selection by vote, the leader's assignment handed out by
 * SyncGroup, and committed offsets. Groups and offsets are written to `__consumer_offsets` through
 * the log and replayed by start(), so they survive a restart.
 *
 * Offsets committed inside a transaction (TxnOffsetCommit) are written as the producer's
 * transactional records and stay pending until the transaction coordinator reports the end of the
 * transaction (completeTransaction): a commit makes them visible, an abort drops them. Replay at
 * start applies them at their commit marker, drops them at an abort marker, and keeps those of
 * transactions still open pending.
 */
export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  readonly store: ConsumerOffsetsTopic;
  /**
   * Offsets committed inside transactions that have not ended: group -> producer id -> partition.
   * Made visible by the commit marker (completeTransaction), dropped by the abort marker; until
   * then OffsetFetch with requireStable answers UNSTABLE_OFFSET_COMMIT for them.
   */
  private readonly pendingTxn = new Map<string, Map<number, Map<string, PendingTxnOffset>>>();
  private closed = false;
  private expiryTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly topics: TopicService,
    private readonly config: BrokerConfig,
    private readonly logger: BrokerLogger,
    private readonly clock: () => number = Date.now,
  ) {
    this.store = new ConsumerOffsetsTopic(topics.manager, {
      partitions: config.offsetsTopicPartitions,
      createTopic: (name, options) => topics.create(name, options, true),
      logger,
      clock,
    });
  }

  // -----------------------------------------------------------------------------------------------
  // start and stop

  /** Replays `__consumer_offsets`: committed offsets and each group's last stored generation and members. */
  start(): void {
    const { records, offsets, groups: stored, pending } = this.store.load();
    // What is pending belongs to transactions still open: it waits for their end.
    for (const [producerId, list] of pending) {
      for (const e of list) if (e.value !== null) this.addPendingTxnOffset(e.groupId, producerId, e.topic, e.partition, e.value);
    }
    const now = this.clock();
    for (const [groupId, byTopic] of offsets) {
      for (const [topic, parts] of byTopic) {
        if (parts.size > 0) this.getOrCreate(groupId, now).offsets.set(topic, parts);
      }
    }
    for (const [groupId, g] of stored) {
      const group = this.getOrCreate(groupId, now);
      group.generationId = g.generationId;
      group.protocolType = g.protocolType === '' && g.members.length === 0 ? group.protocolType : g.protocolType;
      group.protocolName = g.protocolName;
      group.leaderId = g.leaderId;
      for (const m of g.members) {
        const protocols = g.protocolName === null ? [] : [{ name: g.protocolName, metadata: m.subscription }];
        const member = new Member(m.memberId, m.groupInstanceId, m.clientId, m.clientHost, m.rebalanceTimeoutMs, m.sessionTimeoutMs, protocols);
        member.assignment = m.assignment;
        group.members.set(m.memberId, member);
        if (m.groupInstanceId !== null) group.staticMembers.set(m.groupInstanceId, m.memberId);
        // The members get one session timeout from now to show up again.
        this.scheduleSession(group, member);
      }
      // Kafka keeps the stored state timestamp: an empty group's offsets expire counting from it.
      group.transition(group.members.size > 0 ? 'Stable' : 'Empty', g.currentStateTimestamp >= 0 ? g.currentStateTimestamp : now);
    }
    // A group known only from an open transaction's offsets exists too (Kafka's simple group).
    for (const groupId of this.pendingTxn.keys()) this.getOrCreate(groupId, now);
    for (const [id, group] of this.groups) {
      if (group.members.size === 0 && !group.hasOffsets() && group.protocolType === null && !this.pendingTxn.has(id)) this.groups.delete(id);
    }
    if (records > 0) this.logger.info(`loaded ${this.groups.size} group(s) from ${records} record(s) of __consumer_offsets`);
    if (this.config.offsetsRetentionCheckIntervalMs > 0) {
      this.expiryTimer = setInterval(() => {
        this.expireOffsets().catch((e: unknown) => this.logger.warn(`cannot expire offsets: ${String(e)}`));
      }, this.config.offsetsRetentionCheckIntervalMs);
      this.expiryTimer.unref();
    }
  }

  close(): void {
    this.closed = true;
    if (this.expiryTimer !== null) clearInterval(this.expiryTimer);
    this.expiryTimer = null;
    for (const group of this.groups.values()) {
      if (group.rebalanceTimer !== null) clearTimeout(group.rebalanceTimer);
      group.rebalanceTimer = null;
      for (const t of group.pendingMembers.values()) clearTimeout(t);
      group.pendingMembers.clear();
      for (const m of group.members.values()) {
        if (m.sessionTimer !== null) clearTimeout(m.sessionTimer);
        m.sessionTimer = null;
        this.answerJoin(m, joinError(ErrorCodes.COORDINATOR_NOT_AVAILABLE, m.memberId));
        this.answerSync(m, syncError(ErrorCodes.COORDINATOR_NOT_AVAILABLE));
      }
    }
  }

  /** Makes sure `__consumer_offsets` exists (FindCoordinator calls this, as Kafka creates it then). */
  ready(): Promise<void> {
    return this.store.ensure();
  }

  private getOrCreate(groupId: string, now = this.clock()): Group {
    let g = this.groups.get(groupId);
    if (g === undefined) {
      g = new Group(groupId, now);
      this.groups.set(groupId, g);
    }
    return g;
  }

  // -----------------------------------------------------------------------------------------------
  // JoinGroup

  joinGroup(p: JoinParams): Promise<JoinResult> {
    if (this.closed) return Promise.resolve(joinError(ErrorCodes.COORDINATOR_NOT_AVAILABLE, p.memberId));
    if (p.groupId === '') return Promise.resolve(joinError(ErrorCodes.INVALID_GROUP_ID, p.memberId));
    if (p.sessionTimeoutMs < this.config.groupMinSessionTimeoutMs || p.sessionTimeoutMs > this.config.groupMaxSessionTimeoutMs) {
      return Promise.resolve(joinError(ErrorCodes.INVALID_SESSION_TIMEOUT, p.memberId));
    }
    const isNewMember = p.memberId === '';
    const existing = this.groups.get(p.groupId);
    if (existing === undefined && !isNewMember) return Promise.resolve(joinError(ErrorCodes.UNKNOWN_MEMBER_ID, p.memberId));
    const group = existing ?? this.getOrCreate(p.groupId);
    if (group.state === 'Dead') return Promise.resolve(joinError(ErrorCodes.COORDINATOR_NOT_AVAILABLE, p.memberId));
    const rejoiningMember = !isNewMember && group.members.get(p.memberId);
    // A member rejoining with new protocols is checked against the others, not against itself.
    if (!(rejoiningMember && group.members.size === 1) && !group.supportsProtocols(p.protocolType, p.protocols)) {
      return Promise.resolve(joinError(ErrorCodes.INCONSISTENT_GROUP_PROTOCOL, p.memberId));
    }
    return new Promise<JoinResult>((resolve) => {
      if (isNewMember) this.newMemberJoin(group, p, resolve);
      else this.currentMemberJoin(group, p, resolve);
    });
  }

  private newMemberJoin(group: Group, p: JoinParams, resolve: (r: JoinResult) => void): void {
    const memberId = `${p.clientId}-${randomUUID()}`;
    if (p.groupInstanceId !== null) {
      this.staticMemberJoin(group, p, memberId, resolve);
      return;
    }
    if (p.requireKnownMemberId) {
      // KIP-394: the member gets its id now and rejoins with it; until then it is pending.
      const timer = setTimeout(() => {
        if (group.pendingMembers.delete(memberId)) this.tryCompleteJoin(group);
      }, p.sessionTimeoutMs);
      timer.unref();
      group.pendingMembers.set(memberId, timer);
      resolve(joinError(ErrorCodes.MEMBER_ID_REQUIRED, memberId));
      return;
    }
    this.addMemberAndRebalance(group, p, memberId, resolve);
  }

  private staticMemberJoin(group: Group, p: JoinParams, newMemberId: string, resolve: (r: JoinResult) => void): void {
    const instanceId = p.groupInstanceId!;
    const oldMemberId = group.staticMembers.get(instanceId);
    const old = oldMemberId === undefined ? undefined : group.members.get(oldMemberId);
    if (old === undefined) {
      this.addMemberAndRebalance(group, p, newMemberId, resolve);
      return;
    }
    // The same instance restarted: the new member id replaces the old one, which is fenced.
    this.answerJoin(old, joinError(ErrorCodes.FENCED_INSTANCE_ID, old.memberId));
    this.answerSync(old, syncError(ErrorCodes.FENCED_INSTANCE_ID));
    if (old.sessionTimer !== null) clearTimeout(old.sessionTimer);
    old.sessionTimer = null;
    const wasLeader = group.leaderId === old.memberId;
    const member = new Member(newMemberId, instanceId, p.clientId, p.clientHost, old.rebalanceTimeoutMs, old.sessionTimeoutMs, old.protocols);
    member.assignment = old.assignment;
    group.members.delete(old.memberId);
    group.members.set(newMemberId, member);
    group.staticMembers.set(instanceId, newMemberId);
    if (wasLeader) group.leaderId = newMemberId;
    const protocolsUnchanged = member.sameProtocols(p.protocols);
    if (group.state === 'Stable' && protocolsUnchanged) {
      // Nothing changed for the group: no rebalance, the member gets the current generation back
      // and its stored assignment from SyncGroup.
      this.scheduleSession(group, member);
      resolve({
        errorCode: ErrorCodes.NONE,
        generationId: group.generationId,
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        leader: group.leaderId ?? '',
        memberId: newMemberId,
        members: wasLeader ? this.memberList(group) : [],
        skipAssignment: wasLeader,
      });
      this.persistGroup(group).catch((e: unknown) => this.logger.warn(`group ${group.groupId}: cannot store the replaced static member: ${String(e)}`));
      return;
    }
    this.updateMemberAndRebalance(group, member, p, resolve);
  }

  private currentMemberJoin(group: Group, p: JoinParams, resolve: (r: JoinResult) => void): void {
    const pending = group.pendingMembers.get(p.memberId);
    if (pending !== undefined) {
      clearTimeout(pending);
      group.pendingMembers.delete(p.memberId);
      this.addMemberAndRebalance(group, p, p.memberId, resolve);
      return;
    }
    if (this.isFenced(group, p.memberId, p.groupInstanceId)) {
      resolve(joinError(ErrorCodes.FENCED_INSTANCE_ID, p.memberId));
      return;
    }
    const member = group.members.get(p.memberId);
    if (member === undefined) {
      resolve(joinError(ErrorCodes.UNKNOWN_MEMBER_ID, p.memberId));
      return;
    }
    switch (group.state) {
      case 'PreparingRebalance':
        this.updateMemberAndRebalance(group, member, p, resolve);
        return;
      case 'CompletingRebalance':
        if (member.sameProtocols(p.protocols)) {
          // The member did not see the join response: send it again.
          this.scheduleSession(group, member);
          resolve(this.currentJoinResult(group, member));
        } else {
          this.updateMemberAndRebalance(group, member, p, resolve);
        }
        return;
      case 'Stable':
        if (p.memberId === group.leaderId || !member.sameProtocols(p.protocols)) {
          // The leader rejoining (or changed metadata) means the assignment must be redone.
          this.updateMemberAndRebalance(group, member, p, resolve);
        } else {
          this.scheduleSession(group, member);
          resolve(this.currentJoinResult(group, member));
        }
        return;
      default:
        resolve(joinError(ErrorCodes.UNKNOWN_MEMBER_ID, p.memberId));
    }
  }

  private addMemberAndRebalance(group: Group, p: JoinParams, memberId: string, resolve: (r: JoinResult) => void): void {
    const member = new Member(memberId, p.groupInstanceId, p.clientId, p.clientHost, p.rebalanceTimeoutMs, p.sessionTimeoutMs, p.protocols);
    member.isNew = true;
    member.awaitingJoin = resolve;
    if (group.members.size === 0) group.protocolType = p.protocolType;
    group.members.set(memberId, member);
    if (p.groupInstanceId !== null) group.staticMembers.set(p.groupInstanceId, memberId);
    if (group.leaderId === null) group.leaderId = memberId;
    group.newMemberAdded = true;
    this.scheduleSession(group, member);
    this.logger.info(`group ${group.groupId}: member ${memberId} joined`);
    this.maybePrepareRebalance(group, `member ${memberId} joined`);
  }

  private updateMemberAndRebalance(group: Group, member: Member, p: JoinParams, resolve: (r: JoinResult) => void): void {
    member.protocols = p.protocols;
    member.rebalanceTimeoutMs = p.rebalanceTimeoutMs;
    member.sessionTimeoutMs = p.sessionTimeoutMs;
    member.clientId = p.clientId;
    member.clientHost = p.clientHost;
    // A second JoinGroup from the same member (a retry on a new connection) replaces the first.
    this.answerJoin(member, joinError(ErrorCodes.REBALANCE_IN_PROGRESS, member.memberId));
    member.awaitingJoin = resolve;
    this.scheduleSession(group, member);
    this.maybePrepareRebalance(group, `member ${member.memberId} rejoined`);
  }

  private maybePrepareRebalance(group: Group, reason: string): void {
    if (group.state === 'Stable' || group.state === 'CompletingRebalance' || group.state === 'Empty') {
      this.prepareRebalance(group, reason);
    } else if (group.state === 'PreparingRebalance') {
      this.tryCompleteJoin(group);
    }
  }

  private prepareRebalance(group: Group, reason: string): void {
    if (group.state === 'CompletingRebalance') {
      // Members waiting for their assignment must rejoin instead.
      for (const m of group.members.values()) {
        m.assignment = EMPTY_BUFFER;
        this.answerSync(m, syncError(ErrorCodes.REBALANCE_IN_PROGRESS));
      }
    }
    const wasEmpty = group.state === 'Empty';
    const now = this.clock();
    group.transition('PreparingRebalance', now);
    group.rebalanceStartedAt = now;
    group.newMemberAdded = false;
    if (group.rebalanceTimer !== null) clearTimeout(group.rebalanceTimer);
    const timeout = group.maxRebalanceTimeoutMs();
    this.logger.info(`group ${group.groupId}: preparing to rebalance generation ${group.generationId} (${reason})`);
    const delay = this.config.groupInitialRebalanceDelayMs;
    if (wasEmpty && delay > 0) {
      group.initialDelayUntil = now + Math.min(delay, timeout);
      this.setRebalanceTimer(group, Math.min(delay, timeout), () => this.onInitialDelay(group, timeout));
      return;
    }
    group.initialDelayUntil = 0;
    this.setRebalanceTimer(group, timeout, () => this.completeJoin(group));
    this.tryCompleteJoin(group);
  }

  /** Kafka's InitialDelayedJoin: keep waiting while members keep arriving, up to the rebalance timeout. */
  private onInitialDelay(group: Group, timeout: number): void {
    const elapsed = this.clock() - group.rebalanceStartedAt;
    const remaining = timeout - elapsed;
    if (group.newMemberAdded && remaining > 0) {
      group.newMemberAdded = false;
      const next = Math.min(this.config.groupInitialRebalanceDelayMs, remaining);
      this.setRebalanceTimer(group, next, () => this.onInitialDelay(group, timeout));
      return;
    }
    group.initialDelayUntil = 0;
    this.completeJoin(group);
  }

  private setRebalanceTimer(group: Group, ms: number, run: () => void): void {
    if (group.rebalanceTimer !== null) clearTimeout(group.rebalanceTimer);
    const timer = setTimeout(() => {
      if (group.rebalanceTimer !== timer) return;
      group.rebalanceTimer = null;
      if (group.state === 'PreparingRebalance') run();
    }, Math.max(0, ms));
    timer.unref();
    group.rebalanceTimer = timer;
  }

  private tryCompleteJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance' || group.initialDelayUntil > 0) return;
    if (group.allMembersJoined()) this.completeJoin(group);
  }

  /** Ends the join phase: members that did not rejoin are dropped, the next generation starts. */
  private completeJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance') return;
    if (group.rebalanceTimer !== null) clearTimeout(group.rebalanceTimer);
    group.rebalanceTimer = null;
    group.initialDelayUntil = 0;
    for (const m of [...group.members.values()]) {
      if (m.awaitingJoin === null) {
        this.logger.info(`group ${group.groupId}: member ${m.memberId} did not rejoin in time; removing it`);
        this.removeMember(group, m);
      }
    }
    for (const t of group.pendingMembers.values()) clearTimeout(t);
    group.pendingMembers.clear();
    const now = this.clock();
    group.generationId++;
    if (group.members.size === 0) {
      group.protocolName = null;
      group.leaderId = null;
      group.transition('Empty', now);
      this.logger.info(`group ${group.groupId}: generation ${group.generationId} is empty`);
      this.persistGroup(group).catch((e: unknown) => this.logger.warn(`group ${group.groupId}: cannot store the empty group: ${String(e)}`));
      return;
    }
    group.protocolName = group.selectProtocol();
    if (group.leaderId === null || !group.members.has(group.leaderId)) group.leaderId = group.members.keys().next().value ?? null;
    group.transition('CompletingRebalance', now);
    this.logger.info(
      `group ${group.groupId}: generation ${group.generationId} with ${group.members.size} member(s), protocol ${group.protocolName ?? '-'}, leader ${group.leaderId}`,
    );
    for (const m of group.members.values()) {
      const result = this.currentJoinResult(group, m);
      m.isNew = false;
      this.answerJoin(m, result);
      this.scheduleSession(group, m);
    }
  }

  private currentJoinResult(group: Group, member: Member): JoinResult {
    const isLeader = member.memberId === group.leaderId;
    return {
      errorCode: ErrorCodes.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      memberId: member.memberId,
      members: isLeader ? this.memberList(group) : [],
      skipAssignment: false,
    };
  }

  private memberList(group: Group): JoinResult['members'] {
    return [...group.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.metadataFor(group.protocolName),
    }));
  }

  // -----------------------------------------------------------------------------------------------
  // SyncGroup

  syncGroup(p: SyncParams): Promise<SyncResult> {
    const group = this.groups.get(p.groupId);
    if (group === undefined || this.closed) {
      return Promise.resolve(syncError(this.closed ? ErrorCodes.COORDINATOR_NOT_AVAILABLE : ErrorCodes.UNKNOWN_MEMBER_ID));
    }
    if (group.state === 'Dead') return Promise.resolve(syncError(ErrorCodes.COORDINATOR_NOT_AVAILABLE));
    if (this.isFenced(group, p.memberId, p.groupInstanceId)) return Promise.resolve(syncError(ErrorCodes.FENCED_INSTANCE_ID));
    const member = group.members.get(p.memberId);
    if (member === undefined) return Promise.resolve(syncError(ErrorCodes.UNKNOWN_MEMBER_ID));
    if (p.generationId !== group.generationId) return Promise.resolve(syncError(ErrorCodes.ILLEGAL_GENERATION));
    if ((p.protocolType !== null && p.protocolType !== group.protocolType) || (p.protocolName !== null && p.protocolName !== group.protocolName)) {
      return Promise.resolve(syncError(ErrorCodes.INCONSISTENT_GROUP_PROTOCOL));
    }
    switch (group.state) {
      case 'Empty':
        return Promise.resolve(syncError(ErrorCodes.UNKNOWN_MEMBER_ID));
      case 'PreparingRebalance':
        return Promise.resolve(syncError(ErrorCodes.REBALANCE_IN_PROGRESS));
      case 'Stable':
        this.scheduleSession(group, member);
        return Promise.resolve(this.syncResult(group, member));
      case 'CompletingRebalance':
        return new Promise<SyncResult>((resolve) => {
          this.answerSync(member, syncError(ErrorCodes.REBALANCE_IN_PROGRESS));
          member.awaitingSync = resolve;
          this.scheduleSession(group, member);
          if (p.memberId !== group.leaderId) return;
          // The leader's assignment: stored first, then handed to every member.
          const assignments = new Map<string, Buffer>();
          for (const a of p.assignments) assignments.set(a.memberId, Buffer.from(a.assignment));
          const generation = group.generationId;
          const current = () => group.state === 'CompletingRebalance' && group.generationId === generation;
          this.persistGroup(group, assignments).then(
            () => {
              if (!current()) return;
              for (const m of group.members.values()) m.assignment = assignments.get(m.memberId) ?? EMPTY_BUFFER;
              group.transition('Stable', this.clock());
              for (const m of group.members.values()) this.answerSync(m, this.syncResult(group, m));
            },
            (e: unknown) => {
              this.logger.warn(`group ${group.groupId}: cannot store generation ${generation}: ${String(e)}`);
              if (!current()) return;
              for (const m of group.members.values()) this.answerSync(m, syncError(ErrorCodes.COORDINATOR_NOT_AVAILABLE));
              this.prepareRebalance(group, 'storing the assignment failed');
            },
          );
        });
      default:
        return Promise.resolve(syncError(ErrorCodes.COORDINATOR_NOT_AVAILABLE));
    }
  }

  private syncResult(group: Group, member: Member): SyncResult {
    return { errorCode: ErrorCodes.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment };
  }

  // -----------------------------------------------------------------------------------------------
  // Heartbeat, LeaveGroup, sessions

  heartbeat(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number): number {
    if (this.closed) return ErrorCodes.COORDINATOR_NOT_AVAILABLE;
    const group = this.groups.get(groupId);
    if (group === undefined) return ErrorCodes.UNKNOWN_MEMBER_ID;
    if (group.state === 'Dead') return ErrorCodes.COORDINATOR_NOT_AVAILABLE;
    // Kafka checks fencing first: a replaced static member learns it was fenced.
    if (this.isFenced(group, memberId, groupInstanceId)) return ErrorCodes.FENCED_INSTANCE_ID;
    if (group.state === 'Empty') return ErrorCodes.UNKNOWN_MEMBER_ID;
    const member = group.members.get(memberId);
    if (member === undefined) return ErrorCodes.UNKNOWN_MEMBER_ID;
    if (generationId !== group.generationId) return ErrorCodes.ILLEGAL_GENERATION;
    this.scheduleSession(group, member);
    return group.state === 'PreparingRebalance' ? ErrorCodes.REBALANCE_IN_PROGRESS : ErrorCodes.NONE;
  }

  leaveGroup(
    groupId: string,
    leaving: readonly { memberId: string; groupInstanceId: string | null }[],
  ): { errorCode: number; members: { memberId: string; groupInstanceId: string | null; errorCode: number }[] } {
    if (this.closed) return { errorCode: ErrorCodes.COORDINATOR_NOT_AVAILABLE, members: [] };
    const group = this.groups.get(groupId);
    if (group === undefined) {
      return { errorCode: ErrorCodes.NONE, members: leaving.map((l) => ({ ...l, errorCode: ErrorCodes.UNKNOWN_MEMBER_ID })) };
    }
    if (group.state === 'Dead') return { errorCode: ErrorCodes.COORDINATOR_NOT_AVAILABLE, members: [] };
    const members = leaving.map((l) => {
      let errorCode: number = ErrorCodes.NONE;
      if (l.groupInstanceId !== null) {
        const id = group.staticMembers.get(l.groupInstanceId);
        const member = id === undefined ? undefined : group.members.get(id);
        if (member === undefined) errorCode = ErrorCodes.UNKNOWN_MEMBER_ID;
        else if (l.memberId !== '' && l.memberId !== id) errorCode = ErrorCodes.FENCED_INSTANCE_ID;
        else this.removeMemberAndUpdateGroup(group, member, `static member ${l.groupInstanceId} left`);
      } else {
        const pending = group.pendingMembers.get(l.memberId);
        const member = group.members.get(l.memberId);
        if (pending !== undefined) {
          clearTimeout(pending);
          group.pendingMembers.delete(l.memberId);
          this.tryCompleteJoin(group);
        } else if (member !== undefined) {
          this.removeMemberAndUpdateGroup(group, member, `member ${l.memberId} left`);
        } else {
          errorCode = ErrorCodes.UNKNOWN_MEMBER_ID;
        }
      }
      return { memberId: l.memberId, groupInstanceId: l.groupInstanceId, errorCode };
    });
    return { errorCode: ErrorCodes.NONE, members };
  }

  private isFenced(group: Group, memberId: string, groupInstanceId: string | null): boolean {
    if (groupInstanceId === null) return false;
    const current = group.staticMembers.get(groupInstanceId);
    return current !== undefined && current !== memberId;
  }

  private scheduleSession(group: Group, member: Member): void {
    if (this.closed) return;
    if (member.sessionTimer !== null) clearTimeout(member.sessionTimer);
    const started = this.clock();
    const timer = setTimeout(() => {
      if (member.sessionTimer !== timer) return;
      member.sessionTimer = null;
      if (group.members.get(member.memberId) !== member) return;
      // A member waiting on JoinGroup or SyncGroup is alive (a new one for at most 5 minutes).
      const keepAlive = member.awaitingJoin !== null ? !member.isNew || this.clock() - started < NEW_MEMBER_JOIN_TIMEOUT_MS : member.awaitingSync !== null;
      if (keepAlive) {
        this.scheduleSession(group, member);
        return;
      }
      this.logger.info(`group ${group.groupId}: session of member ${member.memberId} expired`);
      this.removeMemberAndUpdateGroup(group, member, `member ${member.memberId} session expired`);
    }, member.sessionTimeoutMs);
    timer.unref();
    member.sessionTimer = timer;
  }

  private removeMember(group: Group, member: Member): void {
    this.answerJoin(member, joinError(ErrorCodes.UNKNOWN_MEMBER_ID, member.memberId));
    this.answerSync(member, syncError(ErrorCodes.UNKNOWN_MEMBER_ID));
    if (member.sessionTimer !== null) clearTimeout(member.sessionTimer);
    member.sessionTimer = null;
    group.members.delete(member.memberId);
    if (member.groupInstanceId !== null && group.staticMembers.get(member.groupInstanceId) === member.memberId) {
      group.staticMembers.delete(member.groupInstanceId);
    }
    if (group.leaderId === member.memberId) group.leaderId = group.members.keys().next().value ?? null;
  }

  private removeMemberAndUpdateGroup(group: Group, member: Member, reason: string): void {
    this.removeMember(group, member);
    switch (group.state) {
      case 'Stable':
      case 'CompletingRebalance':
        this.prepareRebalance(group, reason);
        break;
      case 'PreparingRebalance':
        this.tryCompleteJoin(group);
        break;
      default:
        break;
    }
  }

  private answerJoin(member: Member, result: JoinResult): void {
    const cb = member.awaitingJoin;
    member.awaitingJoin = null;
    cb?.(result);
  }

  private answerSync(member: Member, result: SyncResult): void {
    const cb = member.awaitingSync;
    member.awaitingSync = null;
    cb?.(result);
  }

  private persistGroup(group: Group, assignments?: ReadonlyMap<string, Buffer>): Promise<void> {
    const value = groupValue({
      protocolType: group.protocolType ?? '',
      generationId: group.generationId,
      protocolName: group.protocolName,
      leaderId: group.leaderId,
      currentStateTimestamp: group.currentStateTimestamp,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        subscription: m.metadataFor(group.protocolName),
        assignment: assignments?.get(m.memberId) ?? m.assignment,
      })),
    });
    return this.store.write(group.groupId, [{ key: groupKey(group.groupId), value }]);
  }

  // -----------------------------------------------------------------------------------------------
  // offsets

  /** Returns one error code per entry of `p.offsets`, in order. */
  async commitOffsets(p: CommitParams): Promise<number[]> {
    const all = (code: number) => p.offsets.map(() => code);
    if (this.closed) return all(ErrorCodes.COORDINATOR_NOT_AVAILABLE);
    if (p.groupId === '') return all(ErrorCodes.INVALID_GROUP_ID);
    let group = this.groups.get(p.groupId);
    if (group === undefined) {
      // Not managed by this coordinator (a consumer assigning partitions itself): allowed.
      if (p.generationId >= 0) return all(ErrorCodes.ILLEGAL_GENERATION);
      group = this.getOrCreate(p.groupId);
    }
    const check = this.validateCommit(group, p);
    if (check !== ErrorCodes.NONE) return all(check);

    const codes = p.offsets.map(() => ErrorCodes.NONE as number);
    const records: OffsetsTopicRecord[] = [];
    const accepted: { index: number; topic: string; partition: number; value: CommittedOffset }[] = [];
    const partitionCounts = new Map<string, number>();
    const now = this.clock();
    p.offsets.forEach((o, index) => {
      let count = partitionCounts.get(o.topic);
      if (count === undefined) {
        count = this.topics.exists(o.topic) ? this.topics.partitionCount(o.topic) : 0;
        partitionCounts.set(o.topic, count);
      }
      const value = checkedOffset(o, count, now);
      if (typeof value === 'number') {
        codes[index] = value;
        return;
      }
      records.push({ key: offsetKey(p.groupId, o.topic, o.partition), value: offsetValue(value) });
      accepted.push({ index, topic: o.topic, partition: o.partition, value });
    });
    if (records.length === 0) return codes;
    try {
      await this.store.write(p.groupId, records);
    } catch (e) {
      this.logger.warn(`group ${p.groupId}: cannot store committed offsets: ${String(e)}`);
      const code = (e as { code?: string }).code === 'MESSAGE_TOO_LARGE' || (e as { code?: string }).code === 'RECORD_LIST_TOO_LARGE'
        ? ErrorCodes.INVALID_COMMIT_OFFSET_SIZE
        : ErrorCodes.COORDINATOR_NOT_AVAILABLE;
      for (const a of accepted) codes[a.index] = code;
      return codes;
    }
    // The group may have been deleted while the write was under way; its offsets went with it.
    if (this.groups.get(p.groupId) !== group) return codes;
    for (const a of accepted) {
      let byPartition = group.offsets.get(a.topic);
      if (byPartition === undefined) group.offsets.set(a.topic, (byPartition = new Map()));
      byPartition.set(a.partition, a.value);
    }
    return codes;
  }

  private validateCommit(group: Group, p: CommitParams): number {
    if (group.state === 'Dead') return ErrorCodes.COORDINATOR_NOT_AVAILABLE;
    if (this.isFenced(group, p.memberId, p.groupInstanceId)) return ErrorCodes.FENCED_INSTANCE_ID;
    if (p.generationId < 0 && group.state === 'Empty') return ErrorCodes.NONE;
    const member = group.members.get(p.memberId);
    if (member === undefined) return ErrorCodes.UNKNOWN_MEMBER_ID;
    if (p.generationId !== group.generationId) return ErrorCodes.ILLEGAL_GENERATION;
    if (group.state === 'CompletingRebalance') return ErrorCodes.REBALANCE_IN_PROGRESS;
    this.scheduleSession(group, member);
    return ErrorCodes.NONE;
  }

  private addPendingTxnOffset(groupId: string, producerId: number, topic: string, partition: number, value: CommittedOffset): void {
    let byProducer = this.pendingTxn.get(groupId);
    if (byProducer === undefined) this.pendingTxn.set(groupId, (byProducer = new Map()));
    let byPartition = byProducer.get(producerId);
    if (byPartition === undefined) byProducer.set(producerId, (byPartition = new Map()));
    byPartition.set(tpKey(topic, partition), { topic, partition, value });
  }

  /** Whether a transaction that has not ended committed an offset for this partition of the group. */
  private hasPendingTxnOffset(groupId: string, topic: string, partition: number): boolean {
    const byProducer = this.pendingTxn.get(groupId);
    if (byProducer === undefined) return false;
    const k = tpKey(topic, partition);
    for (const byPartition of byProducer.values()) if (byPartition.has(k)) return true;
    return false;
  }

  /**
   * TxnOffsetCommit: the offsets are written to the group's `__consumer_offsets` partition as a
   * transactional batch of the producer and stay pending until its transaction ends (see
   * completeTransaction). Returns one error code per entry of `p.offsets`, in order.
   */
  async commitTxnOffsets(p: TxnCommitParams): Promise<number[]> {
    const all = (code: number) => p.offsets.map(() => code);
    if (this.closed) return all(ErrorCodes.COORDINATOR_NOT_AVAILABLE);
    if (p.groupId === '') return all(ErrorCodes.INVALID_GROUP_ID);
    try {
      await this.store.ensure();
    } catch (e) {
      this.logger.warn(`group ${p.groupId}: cannot create ${'__consumer_offsets'}: ${String(e)}`);
      return all(ErrorCodes.COORDINATOR_NOT_AVAILABLE);
    }
    if (this.closed) return all(ErrorCodes.COORDINATOR_NOT_AVAILABLE);
    // Kafka's doTxnCommitOffsets: the member and generation are checked only when the client sent them.
    const group = this.groups.get(p.groupId);
    if (group !== undefined) {
      if (group.state === 'Dead') return all(ErrorCodes.COORDINATOR_NOT_AVAILABLE);
      if (this.isFenced(group, p.memberId, p.groupInstanceId)) return all(ErrorCodes.FENCED_INSTANCE_ID);
      if (p.memberId !== '' && !group.members.has(p.memberId)) return all(ErrorCodes.UNKNOWN_MEMBER_ID);
      if (p.generationId >= 0 && p.generationId !== group.generationId) return all(ErrorCodes.ILLEGAL_GENERATION);
    } else if (p.memberId !== '' || p.generationId >= 0) {
      return all(p.memberId !== '' ? ErrorCodes.UNKNOWN_MEMBER_ID : ErrorCodes.ILLEGAL_GENERATION);
    } else {
      // Kafka creates a simple (empty, protocol-less) group for offsets committed without membership.
      this.getOrCreate(p.groupId);
    }
    const codes = p.offsets.map(() => ErrorCodes.NONE as number);
    const records: OffsetsTopicRecord[] = [];
    const accepted: PendingTxnOffset[] = [];
    const now = this.clock();
    p.offsets.forEach((o, index) => {
      const count = this.topics.exists(o.topic) ? this.topics.partitionCount(o.topic) : 0;
      const value = checkedOffset(o, count, now);
      if (typeof value === 'number') {
        codes[index] = value;
        return;
      }
      records.push({ key: offsetKey(p.groupId, o.topic, o.partition), value: offsetValue(value) });
      accepted.push({ topic: o.topic, partition: o.partition, value });
    });
    if (records.length === 0) return codes;
    const setAccepted = (code: number) => {
      p.offsets.forEach((_o, i) => {
        if (codes[i] === ErrorCodes.NONE) codes[i] = code;
      });
    };
    let durable: Promise<unknown>;
    try {
      const r = this.store.appendTransactional(p.groupId, records, p.producerId, p.producerEpoch, () => p.verify(this.store.partitionFor(p.groupId)));
      if (r.written) {
        // Pending at once: the commit marker may be written before the durability wait ends.
        for (const a of accepted) this.addPendingTxnOffset(p.groupId, p.producerId, a.topic, a.partition, a.value);
      }
      durable = r.durable;
    } catch (e) {
      setAccepted(this.txnCommitErrorCode(p.groupId, e));
      return codes;
    }
    try {
      await durable;
    } catch (e) {
      setAccepted(this.txnCommitErrorCode(p.groupId, e));
    }
    return codes;
  }

  private txnCommitErrorCode(groupId: string, e: unknown): number {
    const code = (e as { code?: string }).code;
    switch (code) {
      case 'PRODUCER_FENCED':
      case 'INVALID_PRODUCER_EPOCH':
        // TxnOffsetCommit has no PRODUCER_FENCED: Kafka answers a stale epoch this way.
        return ErrorCodes.INVALID_PRODUCER_EPOCH;
      case 'INVALID_PRODUCER_ID_MAPPING':
      case 'INVALID_TXN_STATE':
      case 'CONCURRENT_TRANSACTIONS':
      case 'COORDINATOR_NOT_AVAILABLE':
      case 'UNKNOWN_TOPIC_OR_PARTITION':
        return errorCodeOf(e);
      case 'MESSAGE_TOO_LARGE':
      case 'RECORD_LIST_TOO_LARGE':
        return ErrorCodes.INVALID_COMMIT_OFFSET_SIZE;
      default:
        this.logger.warn(`group ${groupId}: cannot store transactional offsets: ${String(e)}`);
        return ErrorCodes.COORDINATOR_NOT_AVAILABLE;
    }
  }

  /**
   * A transaction ended (the transaction coordinator's listener): a commit makes the producer's
   * pending offsets the group's committed offsets, an abort drops them.
   */
  completeTransaction(c: TransactionCompletion): void {
    const now = this.clock();
    for (const [groupId, byProducer] of this.pendingTxn) {
      const pending = byProducer.get(c.producerId);
      if (pending === undefined) continue;
      byProducer.delete(c.producerId);
      if (byProducer.size === 0) this.pendingTxn.delete(groupId);
      if (!c.committed) continue;
      const group = this.getOrCreate(groupId, now);
      for (const o of pending.values()) {
        let byPartition = group.offsets.get(o.topic);
        if (byPartition === undefined) group.offsets.set(o.topic, (byPartition = new Map()));
        byPartition.set(o.partition, o.value);
      }
    }
  }

  /**
   * Committed offsets of a group: of the partitions asked for (-1 where none is committed), or of
   * every partition it has committed when `topics` is null.
   */
  fetchOffsets(
    groupId: string,
    topics: readonly { name: string; partitions: readonly number[] }[] | null,
    requireStable = false,
  ): { errorCode: number; topics: { name: string; partitions: FetchedOffset[] }[] } {
    if (this.closed) return { errorCode: ErrorCodes.COORDINATOR_NOT_AVAILABLE, topics: [] };
    const group = this.groups.get(groupId);
    const none = (partition: number): FetchedOffset => ({ partition, offset: -1, leaderEpoch: -1, metadata: '', errorCode: ErrorCodes.NONE });
    const unstable = (topic: string, partition: number): FetchedOffset | null =>
      requireStable && this.hasPendingTxnOffset(groupId, topic, partition)
        ? { partition, offset: -1, leaderEpoch: -1, metadata: '', errorCode: ErrorCodes.UNSTABLE_OFFSET_COMMIT }
        : null;
    const found = (partition: number, o: CommittedOffset): FetchedOffset => ({
      partition,
      offset: o.offset,
      leaderEpoch: o.leaderEpoch,
      metadata: o.metadata,
      errorCode: ErrorCodes.NONE,
    });
    if (topics === null) {
      if (group === undefined) return { errorCode: ErrorCodes.NONE, topics: [] };
      return {
        errorCode: ErrorCodes.NONE,
        topics: [...group.offsets].map(([name, parts]) => ({
          name,
          partitions: [...parts].sort((a, b) => a[0] - b[0]).map(([partition, o]) => unstable(name, partition) ?? found(partition, o)),
        })),
      };
    }
    return {
      errorCode: ErrorCodes.NONE,
      topics: topics.map((t) => {
        const parts = group?.offsets.get(t.name);
        return {
          name: t.name,
          partitions: t.partitions.map((partition) => {
            const o = parts?.get(partition);
            return unstable(t.name, partition) ?? (o === undefined ? none(partition) : found(partition, o));
          }),
        };
      }),
    };
  }

  /**
   * Kafka's offset expiry (offsets.retention.minutes, KIP-211), run every
   * offsets.retention.check.interval.ms: the offsets of a group that has been Empty for the
   * retention period are removed (counted from when it became empty); a standalone group (offsets
   * only, no protocol type) loses each offset not committed for that long; a Stable consumer group
   * loses those of topics none of its members subscribes to. Offsets with a pending transactional
   * commit never expire. An Empty group left without offsets is deleted. Tombstones make it
   * durable. Returns the number of offsets removed.
   */
  async expireOffsets(now = this.clock()): Promise<number> {
    if (this.closed) return 0;
    const retention = this.config.offsetsRetentionMs;
    let removed = 0;
    const writes: Promise<void>[] = [];
    for (const group of [...this.groups.values()]) {
      let base: ((o: CommittedOffset) => number) | null = null;
      let keep: ReadonlySet<string> = new Set();
      if (group.protocolType !== null && group.state === 'Empty') {
        base = () => group.currentStateTimestamp;
      } else if (group.protocolType === 'consumer' && group.state === 'Stable') {
        const subscribed = this.subscribedTopics(group);
        if (subscribed !== null) {
          base = (o) => o.commitTimestamp;
          keep = subscribed;
        }
      } else if (group.protocolType === null) {
        base = (o) => o.commitTimestamp;
      }
      if (base === null) continue;
      const records: OffsetsTopicRecord[] = [];
      for (const [topic, parts] of group.offsets) {
        if (keep.has(topic)) continue;
        for (const [partition, o] of parts) {
          if (now - base(o) < retention || this.hasPendingTxnOffset(group.groupId, topic, partition)) continue;
          parts.delete(partition);
          records.push({ key: offsetKey(group.groupId, topic, partition), value: null });
        }
        if (parts.size === 0) group.offsets.delete(topic);
      }
      removed += records.length;
      if (group.state === 'Empty' && !group.hasOffsets() && !this.pendingTxn.has(group.groupId) && group.pendingMembers.size === 0) {
        group.transition('Dead', now);
        this.groups.delete(group.groupId);
        records.push({ key: groupKey(group.groupId), value: null });
        this.logger.info(`group ${group.groupId}: no offsets left after expiry; removed`);
      }
      if (records.length > 0) {
        writes.push(this.store.write(group.groupId, records).catch((e: unknown) => this.logger.warn(`group ${group.groupId}: cannot store expired offsets: ${String(e)}`)));
      }
    }
    await Promise.all(writes);
    if (removed > 0) this.logger.info(`removed ${removed} expired offset(s)`);
    return removed;
  }

  /** Topics the members of a consumer group subscribe to (ConsumerProtocolSubscription), null when unreadable. */
  private subscribedTopics(group: Group): Set<string> | null {
    const topics = new Set<string>();
    try {
      for (const m of group.members.values()) {
        const meta = m.metadataFor(group.protocolName);
        let at = 2;
        const n = meta.readInt32BE(at);
        at += 4;
        for (let i = 0; i < n; i++) {
          const len = meta.readInt16BE(at);
          if (len < 0 || at + 2 + len > meta.length) return null;
          topics.add(meta.toString('utf8', at + 2, at + 2 + len));
          at += 2 + len;
        }
      }
    } catch {
      return null;
    }
    return topics;
  }

  /** Drops the committed offsets of deleted topics (with tombstones, as Kafka does). */
  onTopicDeleted(topic: string): void {
    for (const byProducer of this.pendingTxn.values()) {
      for (const byPartition of byProducer.values()) for (const [k, o] of byPartition) if (o.topic === topic) byPartition.delete(k);
    }
    for (const group of this.groups.values()) {
      const parts = group.offsets.get(topic);
      if (parts === undefined) continue;
      group.offsets.delete(topic);
      const records = [...parts.keys()].map((p) => ({ key: offsetKey(group.groupId, topic, p), value: null }));
      this.store.write(group.groupId, records).catch((e: unknown) => this.logger.warn(`group ${group.groupId}: cannot remove offsets of deleted topic ${topic}: ${String(e)}`));
      if (group.members.size === 0 && !group.hasOffsets() && group.state === 'Empty' && group.protocolType === null) this.groups.delete(group.groupId);
    }
  }

  // -----------------------------------------------------------------------------------------------
  // ListGroups, DescribeGroups, DeleteGroups

  listGroups(statesFilter: readonly string[], typesFilter: readonly string[]): { groupId: string; protocolType: string; groupState: GroupState }[] {
    const states = new Set(statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(typesFilter.map((s) => s.toLowerCase()));
    if (types.size > 0 && !types.has('classic')) return [];
    const out: { groupId: string; protocolType: string; groupState: GroupState }[] = [];
    for (const g of this.groups.values()) {
      if (g.state === 'Dead') continue;
      if (states.size > 0 && !states.has(g.state.toLowerCase())) continue;
      out.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state });
    }
    return out.sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  }

  describeGroup(groupId: string): DescribedGroup {
    const group = this.groups.get(groupId);
    if (group === undefined || group.state === 'Dead') {
      return { errorCode: ErrorCodes.NONE, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
    }
    const stable = group.state === 'Stable';
    return {
      errorCode: ErrorCodes.NONE,
      groupId,
      groupState: group.state,
      protocolType: group.protocolType ?? '',
      protocolData: stable ? (group.protocolName ?? '') : '',
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable ? m.metadataFor(group.protocolName) : EMPTY_BUFFER,
        memberAssignment: stable ? m.assignment : EMPTY_BUFFER,
      })),
    };
  }

  async deleteGroups(groupIds: readonly string[]): Promise<{ groupId: string; errorCode: number }[]> {
    const out: { groupId: string; errorCode: number }[] = [];
    for (const groupId of groupIds) {
      const group = this.groups.get(groupId);
      if (this.closed) {
        out.push({ groupId, errorCode: ErrorCodes.COORDINATOR_NOT_AVAILABLE });
      } else if (group === undefined || group.state === 'Dead') {
        out.push({ groupId, errorCode: ErrorCodes.GROUP_ID_NOT_FOUND });
      } else if (group.state !== 'Empty') {
        out.push({ groupId, errorCode: ErrorCodes.NON_EMPTY_GROUP });
      } else {
        group.transition('Dead', this.clock());
        this.groups.delete(groupId);
        const records: OffsetsTopicRecord[] = [];
        const tombstoned = new Set<string>();
        for (const [topic, parts] of group.offsets) {
          for (const p of parts.keys()) {
            tombstoned.add(tpKey(topic, p));
            records.push({ key: offsetKey(groupId, topic, p), value: null });
          }
        }
        // Offsets of transactions still open go too (Kafka's deleteAllOffsets): a tombstone for
        // each partition not already covered, so neither the transaction's commit nor a replay
        // after a restart brings them back.
        for (const byPartition of this.pendingTxn.get(groupId)?.values() ?? []) {
          for (const [k, o] of byPartition) {
            if (tombstoned.has(k)) continue;
            tombstoned.add(k);
            records.push({ key: offsetKey(groupId, o.topic, o.partition), value: null });
          }
        }
        this.pendingTxn.delete(groupId);
        records.push({ key: groupKey(groupId), value: null });
        try {
          await this.store.write(groupId, records);
          this.logger.info(`group ${groupId}: deleted`);
          out.push({ groupId, errorCode: ErrorCodes.NONE });
        } catch (e) {
          this.logger.warn(`group ${groupId}: cannot store its deletion: ${String(e)}`);
          out.push({ groupId, errorCode: ErrorCodes.COORDINATOR_NOT_AVAILABLE });
        }
      }
    }
    return out;
  }
}
