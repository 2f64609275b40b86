import { Admin } from '@platformatic/kafka';
import { offsetRows, totalLag, type GroupDescription, type GroupListing, type GroupMember, type GroupSource } from './model.js';

/** platformatic's state constants -> the names Kafka's own tools print. */
const STATE_NAMES: Readonly<Record<string, string>> = {
  PREPARING_REBALANCE: 'PreparingRebalance',
  COMPLETING_REBALANCE: 'CompletingRebalance',
  STABLE: 'Stable',
  DEAD: 'Dead',
  EMPTY: 'Empty',
};

function stateName(s: string): string {
  return STATE_NAMES[s] ?? s;
}

/**
 * Consumer groups of a running broker (`tributary broker` or Apache Kafka), over the Kafka
 * protocol with @platformatic/kafka's admin client: ListGroups, DescribeGroups (members and their
 * assignments), OffsetFetch (committed offsets) and ListOffsets (log end offsets, for the lag).
 */
export class BrokerGroupSource implements GroupSource {
  private readonly admin: Admin;

  constructor(bootstrap: readonly string[]) {
    this.admin = new Admin({ clientId: 'tributary-cli', bootstrapBrokers: [...bootstrap], retries: 2, timeout: 10_000 });
  }

  async list(): Promise<GroupListing[]> {
    const groups = await this.admin.listGroups();
    if (groups.size === 0) return [];
    const described = await this.admin.describeGroups({ groups: [...groups.keys()] });
    return [...groups.values()]
      .map((g) => ({
        group_id: g.id,
        state: stateName(g.state),
        protocol_type: g.protocolType,
        members: described.get(g.id)?.members.size ?? 0,
      }))
      .sort((a, b) => (a.group_id < b.group_id ? -1 : 1));
  }

  async describe(groupId: string): Promise<GroupDescription | null> {
    const described = (await this.admin.describeGroups({ groups: [groupId] })).get(groupId);
    const [fetched] = await this.admin.listConsumerGroupOffsets({ groups: [groupId] });
    const committed = (fetched?.topics ?? []).flatMap((t) =>
      t.partitions.filter((p) => p.committedOffset >= 0n).map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: Number(p.committedOffset) })),
    );
    const state = described ? stateName(described.state) : 'Dead';
    if (committed.length === 0 && (!described || state === 'Dead')) return null;
    const members: GroupMember[] = [...(described?.members.values() ?? [])].map((m) => ({
      member_id: m.id,
      group_instance_id: m.groupInstanceId ?? null,
      client_id: m.clientId,
      client_host: m.clientHost,
      assignment: [...(m.assignments?.values() ?? [])].map((a) => ({ topic: a.topic, partitions: [...a.partitions].sort((x, y) => x - y) })),
    }));
    const ends = await this.endOffsets(committed);
    const rows = offsetRows(committed, (topic, partition) => ends.get(`${topic}\u0000${partition}`) ?? null, members);
    return {
      group_id: groupId,
      state,
      protocol_type: described?.protocolType ?? '',
      protocol: described?.protocol || null,
      // DescribeGroups does not return the generation.
      generation: null,
      members,
      offsets: rows,
      total_lag: totalLag(rows),
    };
  }

  async close(): Promise<void> {
    await this.admin.close();
  }

  private async endOffsets(partitions: ReadonlyArray<{ topic: string; partition: number }>): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (partitions.length === 0) return out;
    const byTopic = new Map<string, number[]>();
    for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
    const listed = await this.admin.listOffsets({
      // timestamp -1: the latest offset (Kafka's ListOffsets LATEST_TIMESTAMP)
      topics: [...byTopic].map(([name, ps]) => ({ name, partitions: ps.map((partitionIndex) => ({ partitionIndex, timestamp: -1n })) })),
    });
    for (const t of listed) for (const p of t.partitions) if (p.offset >= 0n) out.set(`${t.name}\u0000${p.partitionIndex}`, Number(p.offset));
    return out;
  }
}
