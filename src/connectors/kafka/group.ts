import type { ConnectionPool } from '@platformatic/kafka';
import { ApiKeys } from '../../protocol/api-keys.js';
import type { ConsumerGroupMetadata, GroupMembership, GroupOptions } from '../log.js';
import { assignTasks, type MemberSubscription } from './assignor.js';
import { COORDINATOR_GROUP, type KafkaClient } from './client.js';
import { CODES, KafkaResponseError, MEMBERSHIP_LOST, check, isRetriable } from './errors.js';

/** Not Kafka's 'consumer' protocol: members agree on task partitions, not on topic subscriptions. */
const PROTOCOL_TYPE = 'tributary-streams';
/** v2: members announce what they own and hold warm (sticky assignment, standbys); v1 members are read as new ones. */
const PROTOCOL_NAME = 'sticky-tasks-v2';

/**
 * A member of a consumer group through Kafka's classic group protocol (JoinGroup, SyncGroup,
 * Heartbeat, LeaveGroup), eager: every rebalance revokes the whole assignment and hands out a new
 * one. The leader assigns task partitions 0..n-1 (the same partition of every sub-topology and
 * source topic goes to one member, which keeps co-partitioned inputs together) with the sticky
 * assignor (assignor.ts): each member's JoinGroup metadata says which partitions it ran in which
 * generation and which it holds warm state for; partitions stay where they are as far as balance
 * allows, moved ones go to the warmest member, and with numStandbyReplicas each partition also
 * goes to that many other members as a standby. Heartbeats run on a timer on their own connections; a heartbeat
 * answered REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION or UNKNOWN_MEMBER_ID sets `rebalanceNeeded`,
 * and the runtime commits (or aborts) and calls `rejoin()`.
 */
export class KafkaGroupMember implements GroupMembership {
  private memberId = '';
  private generationId = -1;
  private _partitions: number[] = [];
  private _standby: number[] = [];
  /** The generation `_partitions` was assigned in (what our claim to them is worth to the leader). */
  private ownedGeneration = -1;
  private _endpoints: ReadonlyMap<number, string> = new Map();
  private _rebalanceNeeded = false;
  private heartbeat: NodeJS.Timeout | null = null;
  private beating = false;
  private left = false;
  private readonly pool: ConnectionPool;

  constructor(
    private readonly client: KafkaClient,
    readonly groupId: string,
    private readonly options: GroupOptions,
  ) {
    this.pool = client.newPool();
  }

  get generation(): ConsumerGroupMetadata {
    return { generationId: this.generationId, memberId: this.memberId };
  }

  get partitions(): readonly number[] {
    return this._partitions;
  }

  get standbyPartitions(): readonly number[] {
    return this._standby;
  }

  get endpoints(): ReadonlyMap<number, string> {
    return this._endpoints;
  }

  get rebalanceNeeded(): boolean {
    return this._rebalanceNeeded;
  }

  /** Joins (or rejoins) the group and resolves with this member's partitions of the new generation. */
  async rejoin(): Promise<readonly number[]> {
    this.stopHeartbeat();
    const { sessionTimeoutMs = 10_000, rebalanceTimeoutMs = 60_000 } = this.options;
    for (;;) {
      const joined = await this.client.retry(`JoinGroup(${this.groupId})`, async () => {
        const coord = await this.client.coordinator(COORDINATOR_GROUP, this.groupId);
        const r = await this.client.call(
          coord,
          ApiKeys.JoinGroup,
          {
            groupId: this.groupId,
            sessionTimeoutMs,
            rebalanceTimeoutMs,
            memberId: this.memberId,
            groupInstanceId: null,
            protocolType: PROTOCOL_TYPE,
            protocols: [{ name: PROTOCOL_NAME, metadata: this.metadata() }],
            reason: null,
          },
          this.pool,
        );
        if (r.errorCode === CODES.MEMBER_ID_REQUIRED) {
          this.memberId = r.memberId; // KIP-394: join again with the id the coordinator gave
          return null;
        }
        if (r.errorCode === CODES.UNKNOWN_MEMBER_ID) {
          this.memberId = '';
          return null;
        }
        check(r.errorCode, `JoinGroup(${this.groupId})`);
        return r;
      });
      if (joined === null) continue;
      this.memberId = joined.memberId;
      this.generationId = joined.generationId;
      const assignments =
        joined.leader === joined.memberId ? this.assign(joined.members.map((m) => ({ memberId: m.memberId, metadata: m.metadata }))) : [];
      const synced = await this.client.retry(`SyncGroup(${this.groupId})`, async () => {
        const coord = await this.client.coordinator(COORDINATOR_GROUP, this.groupId);
        const r = await this.client.call(
          coord,
          ApiKeys.SyncGroup,
          {
            groupId: this.groupId,
            generationId: this.generationId,
            memberId: this.memberId,
            groupInstanceId: null,
            protocolType: PROTOCOL_TYPE,
            protocolName: PROTOCOL_NAME,
            assignments,
          },
          this.pool,
        );
        return r;
      });
      if (synced.errorCode !== 0) {
        const e = new KafkaResponseError(synced.errorCode, `SyncGroup(${this.groupId})`);
        if (MEMBERSHIP_LOST.has(e.kafkaName)) {
          if (e.kafkaName === 'UNKNOWN_MEMBER_ID') this.memberId = '';
          continue; // a newer rebalance started: join it
        }
        throw e;
      }
      const a = synced.assignment.length > 0 ? (JSON.parse(synced.assignment.toString('utf8')) as Assignment) : { partitions: [] };
      this._partitions = a.partitions;
      this._standby = a.standby ?? [];
      this.ownedGeneration = this.generationId;
      this._endpoints = endpointsOf(a);
      this._rebalanceNeeded = false;
      this.startHeartbeat();
      return this._partitions;
    }
  }

  /**
   * The leader's assignment (assignor.ts). Every member's assignment also carries which endpoint
   * serves which partitions (Kafka Streams' partitionsByHost), so each process can route an
   * interactive query to the owner of any partition.
   */
  private assign(members: ReadonlyArray<{ memberId: string; metadata: Buffer }>): Array<{ memberId: string; assignment: Buffer }> {
    const parsed = members.map((m) => ({ memberId: m.memberId, ...parseMetadata(m.metadata) }));
    const subs: MemberSubscription[] = parsed.map((m) => ({ memberId: m.memberId, owned: m.owned, generation: m.generation, warm: m.warm }));
    const tasks = assignTasks(subs, this.options.partitions, this.options.numStandbyReplicas ?? 0);
    const endpoints: Record<string, number[]> = {};
    for (const m of parsed) if (m.endpoint !== undefined) (endpoints[m.endpoint] ??= []).push(...tasks.get(m.memberId)!.active);
    return parsed.map((m) => {
      const t = tasks.get(m.memberId)!;
      return { memberId: m.memberId, assignment: Buffer.from(JSON.stringify({ partitions: t.active, standby: t.standby, endpoints } satisfies Assignment)) };
    });
  }

  /** This member's JoinGroup metadata, fresh at every join (its local state moves on). */
  private metadata(): Buffer {
    const o = this.options;
    const warm = o.localState?.() ?? new Map<number, number>();
    const m: MemberMetadata = {
      partitions: o.partitions,
      owned: this._partitions,
      generation: this.ownedGeneration,
      warm: Object.fromEntries([...warm].map(([p, offset]) => [String(p), offset])),
      ...(o.endpoint !== undefined ? { endpoint: o.endpoint } : {}),
    };
    return Buffer.from(JSON.stringify(m));
  }

  private startHeartbeat(): void {
    const every = this.options.heartbeatIntervalMs ?? 1_000;
    this.heartbeat = setInterval(() => void this.beat(), every);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  private async beat(): Promise<void> {
    if (this.beating || this.left || this._rebalanceNeeded) return;
    this.beating = true;
    try {
      const coord = await this.client.coordinator(COORDINATOR_GROUP, this.groupId);
      const r = await this.client.call(coord, ApiKeys.Heartbeat, { groupId: this.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: null }, this.pool);
      if (r.errorCode === 0) return;
      const e = new KafkaResponseError(r.errorCode, `Heartbeat(${this.groupId})`);
      if (MEMBERSHIP_LOST.has(e.kafkaName)) {
        if (e.kafkaName === 'UNKNOWN_MEMBER_ID') this.memberId = '';
        this._rebalanceNeeded = true;
        this.stopHeartbeat();
      } else if (isRetriable(e)) this.client.forgetRouting();
    } catch (e) {
      if (isRetriable(e)) this.client.forgetRouting();
    } finally {
      this.beating = false;
    }
  }

  /** The runtime's commit was refused for a stale generation: rejoin before the next one. */
  markLost(): void {
    this._rebalanceNeeded = true;
    this.stopHeartbeat();
  }

  async leave(): Promise<void> {
    if (this.left) return;
    this.left = true;
    this.stopHeartbeat();
    try {
      if (this.memberId !== '') {
        const coord = await this.client.coordinator(COORDINATOR_GROUP, this.groupId);
        await this.client.call(coord, ApiKeys.LeaveGroup, (v) =>
            v >= 3 ? { groupId: this.groupId, members: [{ memberId: this.memberId, groupInstanceId: null, reason: 'closing' }] } : { groupId: this.groupId, memberId: this.memberId }, this.pool);
      }
    } catch {
      // Leaving is a courtesy: the session timeout removes the member anyway.
    } finally {
      await this.client.closePool(this.pool);
    }
  }
}

/** What a member's SyncGroup assignment holds: its partitions, its standbys and every partition's owner endpoint. */
interface Assignment {
  readonly partitions: number[];
  readonly standby?: number[];
  readonly endpoints?: Readonly<Record<string, number[]>>;
}

/** A member's JoinGroup metadata: partition count, endpoint, and what the sticky assignor weighs. */
interface MemberMetadata {
  readonly partitions: number;
  readonly endpoint?: string;
  readonly owned: readonly number[];
  readonly generation: number;
  /** Partition (as a string: JSON keys) → sum of the changelog offsets the member's local state reflects. */
  readonly warm: Readonly<Record<string, number>>;
}

/** Another member's metadata, read leniently: what is missing or malformed counts as nothing owned, nothing warm. */
function parseMetadata(metadata: Buffer): { endpoint: string | undefined; owned: number[]; generation: number; warm: Map<number, number> } {
  let m: Partial<Record<keyof MemberMetadata, unknown>> = {};
  try {
    const v: unknown = JSON.parse(metadata.toString('utf8'));
    if (typeof v === 'object' && v !== null) m = v as typeof m;
  } catch {
    // not ours to judge: the member simply announced nothing
  }
  const owned = Array.isArray(m.owned) ? m.owned.filter((p): p is number => Number.isInteger(p)) : [];
  const warm = new Map<number, number>();
  if (typeof m.warm === 'object' && m.warm !== null) {
    for (const [k, v] of Object.entries(m.warm)) if (Number.isInteger(Number(k)) && typeof v === 'number' && Number.isFinite(v)) warm.set(Number(k), v);
  }
  return {
    endpoint: typeof m.endpoint === 'string' && m.endpoint.length > 0 ? m.endpoint : undefined,
    owned,
    generation: typeof m.generation === 'number' ? m.generation : -1,
    warm,
  };
}

function endpointsOf(a: Assignment): Map<number, string> {
  const out = new Map<number, string>();
  for (const [endpoint, partitions] of Object.entries(a.endpoints ?? {})) for (const p of partitions) out.set(p, endpoint);
  return out;
}
