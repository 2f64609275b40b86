import type { GroupCoordinator } from '../broker/group/coordinator.js';
import type { LogManager } from '../log/log-manager.js';

export interface TopicView {
  readonly name: string;
  readonly internal: boolean;
  readonly partitions: ReadonlyArray<{ readonly partition: number; readonly startOffset: number; readonly endOffset: number; readonly lastStableOffset: number; readonly bytes: number }>;
}

export interface GroupView {
  readonly groupId: string;
  readonly state: string;
  readonly members: number;
  /** Committed offsets and the lag behind each partition's last stable offset. */
  readonly offsets: ReadonlyArray<{ readonly topic: string; readonly partition: number; readonly committed: number; readonly end: number; readonly lag: number }>;
  readonly totalLag: number;
}

export interface LogView {
  readonly topics: readonly TopicView[];
  readonly groups: readonly GroupView[];
}

/** A group the caller knows of that no coordinator tracks (an in-process application's offsets). */
export interface ExtraGroup {
  readonly groupId: string;
  readonly state: string;
  readonly offsets: ReadonlyArray<{ readonly topic: string; readonly partition: number; readonly committed: number }>;
}

/**
 * The broker view: every topic's partitions with their offsets and sizes, and every consumer
 * group with its committed offsets and lag. Groups come from the broker's coordinator when
 * there is one, plus `extra` (the demo's application commits through the embedded connector).
 */
export function logView(log: LogManager, groups: GroupCoordinator | undefined, extra: readonly ExtraGroup[] = []): LogView {
  const topics: TopicView[] = [];
  const lso = new Map<string, number>();
  for (const name of log.listTopics().sort()) {
    const d = log.describeTopic(name);
    topics.push({
      name,
      internal: name.startsWith('__'),
      partitions: d.partitions.map((p) => {
        lso.set(`${name}\u0000${p.partition}`, p.lastStableOffset);
        return { partition: p.partition, startOffset: p.logStartOffset, endOffset: p.logEndOffset, lastStableOffset: p.lastStableOffset, bytes: p.size };
      }),
    });
  }
  const view = (groupId: string, state: string, members: number, offsets: ReadonlyArray<{ topic: string; partition: number; committed: number }>): GroupView => {
    const rows = offsets.map((o) => {
      const end = lso.get(`${o.topic}\u0000${o.partition}`) ?? o.committed;
      return { ...o, end, lag: o.committed >= 0 ? Math.max(0, end - o.committed) : end };
    });
    return { groupId, state, members, offsets: rows, totalLag: rows.reduce((n, r) => n + r.lag, 0) };
  };
  const out: GroupView[] = [];
  if (groups) {
    for (const g of groups.listGroups([], [])) {
      const fetched = groups.fetchOffsets(g.groupId, null);
      const offsets = fetched.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partition, committed: p.offset })));
      out.push(view(g.groupId, g.groupState, groups.describeGroup(g.groupId).members.length, offsets));
    }
  }
  for (const e of extra) if (!out.some((g) => g.groupId === e.groupId)) out.push(view(e.groupId, e.state, 1, e.offsets));
  return { topics, groups: out };
}
