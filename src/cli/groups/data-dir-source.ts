import { CONSUMER_OFFSETS_TOPIC, ConsumerOffsetsTopic, type LogManager, type StoredGroup } from '../../log/index.js';
import { decodeConsumerAssignment } from './consumer-protocol.js';
import { offsetRows, totalLag, type GroupDescription, type GroupListing, type GroupMember, type GroupSource } from './model.js';

interface GroupState {
  stored: StoredGroup | null;
  offsets: Array<{ topic: string; partition: number; offset: number }>;
}

/**
 * Consumer groups as the data directory holds them: `__consumer_offsets` replayed read_committed
 * (offsets of aborted or open transactions never count), written by the broker's group
 * coordinator (members, generation, assignments, offsets) and by Tributary apps on the embedded
 * log (offsets only). With no coordinator running, a group's state is the stored one: Stable with
 * its last members, or Empty.
 */
export class DataDirGroupSource implements GroupSource {
  private groups: Map<string, GroupState> | undefined;

  constructor(private readonly log: LogManager) {}

  async list(): Promise<GroupListing[]> {
    return [...this.load().entries()]
      .map(([id, g]) => ({
        group_id: id,
        state: stateOf(g),
        protocol_type: g.stored?.protocolType ?? '',
        members: g.stored?.members.length ?? 0,
      }))
      .sort((a, b) => (a.group_id < b.group_id ? -1 : 1));
  }

  async describe(groupId: string): Promise<GroupDescription | null> {
    const g = this.load().get(groupId);
    if (!g) return null;
    const members: GroupMember[] = (g.stored?.members ?? []).map((m) => ({
      member_id: m.memberId,
      group_instance_id: m.groupInstanceId,
      client_id: m.clientId,
      client_host: m.clientHost,
      assignment: g.stored?.protocolType === 'consumer' ? decodeConsumerAssignment(m.assignment) : [],
    }));
    const rows = offsetRows(g.offsets, (topic, partition) => this.endOffset(topic, partition), members);
    return {
      group_id: groupId,
      state: stateOf(g),
      protocol_type: g.stored?.protocolType ?? '',
      protocol: g.stored?.protocolName ?? null,
      generation: g.stored ? g.stored.generationId : null,
      members,
      offsets: rows,
      total_lag: totalLag(rows),
    };
  }

  async close(): Promise<void> {}

  private endOffset(topic: string, partition: number): number | null {
    if (!this.log.hasTopic(topic)) return null;
    const n = this.log.describeTopic(topic).partitions.length;
    return partition < n ? this.log.partition(topic, partition).highWatermark : null;
  }

  private load(): Map<string, GroupState> {
    if (this.groups) return this.groups;
    const groups = new Map<string, GroupState>();
    if (this.log.hasTopic(CONSUMER_OFFSETS_TOPIC)) {
      // Replayed as the coordinator loads it: offsets of open or aborted transactions do not count.
      const loaded = new ConsumerOffsetsTopic(this.log).load();
      for (const [id, stored] of loaded.groups) groups.set(id, { stored, offsets: [] });
      for (const [id, byTopic] of loaded.offsets) {
        const offsets: GroupState['offsets'] = [];
        for (const [topic, byPartition] of byTopic) for (const [partition, o] of byPartition) offsets.push({ topic, partition, offset: o.offset });
        if (offsets.length === 0) continue; // every offset deleted
        const g = groups.get(id);
        if (g) g.offsets = offsets;
        else groups.set(id, { stored: null, offsets });
      }
    }
    this.groups = groups;
    return groups;
  }
}

function stateOf(g: GroupState): string {
  return g.stored && g.stored.members.length > 0 ? 'Stable' : 'Empty';
}
