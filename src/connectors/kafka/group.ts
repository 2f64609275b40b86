import type { ConnectionPool } from '@platformatic/kafka';
import { ApiKeys } from '../../protocol/api-keys.js';
import type { ConsumerGroupMetadata, GroupMembership, GroupOptions } from '../log.js';
import { COORDINATOR_GROUP, type KafkaClient } from './client.js';
import { CODES, KafkaResponseError, MEMBERSHIP_LOST, check, isRetriable } from './errors.js';

/** Not Kafka's 'consumer' protocol: members agree on task partitions, not on topic subscriptions. */
const PROTOCOL_TYPE = 'tributary-streams';
const PROTOCOL_NAME = 'partition-range-v1';

/**
 * A member of a consumer group through Kafka's classic group protocol (JoinGroup, SyncGroup,
 * Heartbeat, LeaveGroup), eager: every rebalance revokes the whole assignment and hands out a new
 * one. The leader assigns task partitions 0..n-1 (the same partition of every sub-topology and
 * source topic goes to one member, which keeps co-partitioned inputs together) round-robin over
 * the members sorted by id. Heartbeats run on a timer on their own connections; a heartbeat
 * answered REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION or UNKNOWN_MEMBER_ID sets `rebalanceNeeded`,
 * and the runtime commits (or aborts) and calls `rejoin()`.
 */
export class KafkaGroupMember implements GroupMembership {
  private memberId = '';
  private generationId = -1;
  private _partitions: number[] = [];
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
            protocols: [{ name: PROTOCOL_NAME, metadata: memberMetadata(this.options) }],
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
        joined.leader === joined.memberId ? this.assign(joined.members.map((m) => ({ memberId: m.memberId, endpoint: endpointOf(m.metadata) }))) : [];
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
      this._endpoints = endpointsOf(a);
      this._rebalanceNeeded = false;
      this.startHeartbeat();
      return this._partitions;
    }
  }

  /**
   * The leader's assignment: partitions round-robin over the members sorted by id. Every member's
   * assignment also carries which endpoint serves which partitions (Kafka Streams' partitionsByHost),
   * so each process can route an interactive query to the owner of any partition.
   */
  private assign(members: ReadonlyArray<{ memberId: string; endpoint: string | undefined }>): Array<{ memberId: string; assignment: Buffer }> {
    const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
    const per = new Map<string, number[]>(sorted.map((m) => [m.memberId, []]));
    for (let p = 0; p < this.options.partitions; p++) per.get(sorted[p % sorted.length]!.memberId)!.push(p);
    const endpoints: Record<string, number[]> = {};
    for (const m of sorted) if (m.endpoint !== undefined) (endpoints[m.endpoint] ??= []).push(...per.get(m.memberId)!);
    return sorted.map((m) => ({ memberId: m.memberId, assignment: Buffer.from(JSON.stringify({ partitions: per.get(m.memberId)!, endpoints } satisfies Assignment)) }));
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

/** What a member's SyncGroup assignment holds: its partitions and every partition's owner endpoint (absent from leaders before endpoints existed). */
interface Assignment {
  readonly partitions: number[];
  readonly endpoints?: Readonly<Record<string, number[]>>;
}

/** A member's JoinGroup metadata: the partition count it expects and its interactive-query endpoint. */
function memberMetadata(options: GroupOptions): Buffer {
  return Buffer.from(JSON.stringify({ partitions: options.partitions, ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}) }));
}

function endpointOf(metadata: Buffer): string | undefined {
  try {
    const m = JSON.parse(metadata.toString('utf8')) as { endpoint?: unknown };
    return typeof m.endpoint === 'string' && m.endpoint.length > 0 ? m.endpoint : undefined;
  } catch {
    return undefined; // not ours to judge: the member simply announced no endpoint
  }
}

function endpointsOf(a: Assignment): Map<number, string> {
  const out = new Map<number, string>();
  for (const [endpoint, partitions] of Object.entries(a.endpoints ?? {})) for (const p of partitions) out.set(p, endpoint);
  return out;
}
