/**
 * What `tributary groups` shows, whichever the source (a data directory's `__consumer_offsets`
 * or a running broker over the Kafka protocol). Field names are the `--json` output.
 */
export interface GroupListing {
  readonly group_id: string;
  /** Kafka's group states: Stable, PreparingRebalance, CompletingRebalance, Empty, Dead. */
  readonly state: string;
  /** 'consumer' for Kafka consumers; '' for groups that only commit offsets (Tributary apps on the embedded log). */
  readonly protocol_type: string;
  readonly members: number;
}

export interface MemberAssignment {
  readonly topic: string;
  readonly partitions: readonly number[];
}

export interface GroupMember {
  readonly member_id: string;
  readonly group_instance_id: string | null;
  readonly client_id: string;
  readonly client_host: string;
  readonly assignment: readonly MemberAssignment[];
}

export interface GroupPartitionOffset {
  readonly topic: string;
  readonly partition: number;
  /** The next offset the group will read. */
  readonly committed_offset: number;
  /** The partition's log end offset (high watermark); null when the topic or partition is gone. */
  readonly log_end_offset: number | null;
  /** log_end_offset − committed_offset (never negative); null when the end is unknown. */
  readonly lag: number | null;
  /** The member the partition is assigned to, if any. */
  readonly member_id: string | null;
}

export interface GroupDescription {
  readonly group_id: string;
  readonly state: string;
  readonly protocol_type: string;
  readonly protocol: string | null;
  readonly generation: number | null;
  readonly members: readonly GroupMember[];
  readonly offsets: readonly GroupPartitionOffset[];
  readonly total_lag: number;
}

/** Where group information comes from: a data directory or a broker. */
export interface GroupSource {
  list(): Promise<GroupListing[]>;
  /** null when the group is unknown (no members, no committed offsets). */
  describe(groupId: string): Promise<GroupDescription | null>;
  close(): Promise<void>;
}

/** Joins committed offsets, end offsets and assignments into the per-partition rows, sorted. */
export function offsetRows(
  committed: ReadonlyArray<{ topic: string; partition: number; offset: number }>,
  endOffset: (topic: string, partition: number) => number | null,
  members: readonly GroupMember[],
): GroupPartitionOffset[] {
  const owner = new Map<string, string>();
  for (const m of members) for (const a of m.assignment) for (const p of a.partitions) owner.set(`${a.topic}\u0000${p}`, m.member_id);
  return [...committed]
    .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1))
    .map((c) => {
      const end = endOffset(c.topic, c.partition);
      return {
        topic: c.topic,
        partition: c.partition,
        committed_offset: c.offset,
        log_end_offset: end,
        lag: end === null ? null : Math.max(0, end - c.offset),
        member_id: owner.get(`${c.topic}\u0000${c.partition}`) ?? null,
      };
    });
}

export function totalLag(rows: readonly GroupPartitionOffset[]): number {
  return rows.reduce((s, r) => s + (r.lag ?? 0), 0);
}
