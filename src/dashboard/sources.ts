import type { Broker } from '../broker/broker.js';
import type { StreamsApp } from '../engine/app.js';
import { snapshotRuntime, type AppSnapshot } from '../engine/metrics/snapshot.js';
import type { LogManager } from '../log/log-manager.js';
import { apiName } from './prometheus.js';
import { logView, type LogView } from './log-view.js';

/** What a dashboard shows: an application, a broker, or both; `log` is the embedded log (the broker's when omitted). */
export interface DashboardSources {
  readonly app?: StreamsApp;
  readonly broker?: Broker;
  readonly log?: LogManager;
}

export interface BrokerSnapshot {
  readonly time: number;
  readonly address: string;
  readonly connections: number;
  readonly connectionsAccepted: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly requests: ReadonlyArray<{ readonly api: string; readonly apiKey: number; readonly count: number; readonly failed: number; readonly latencySumMs: number; readonly latencyCounts: readonly number[] }>;
  readonly topics: ReadonlyArray<{ readonly name: string; readonly partitions: number; readonly endOffsets: readonly number[]; readonly bytes: number }>;
  readonly groupStates: Readonly<Record<string, number>>;
}

export async function appSnapshot(s: DashboardSources): Promise<AppSnapshot | undefined> {
  const rt = s.app?.activeRuntime;
  return rt ? snapshotRuntime(rt) : undefined;
}

export function brokerSnapshot(s: DashboardSources): BrokerSnapshot | undefined {
  const b = s.broker;
  if (!b) return undefined;
  const stats = b.stats;
  const requests = stats.requests.flatMap((r, apiKey) =>
    r === undefined ? [] : [{ api: apiName(apiKey), apiKey, count: r.count, failed: r.failed, latencySumMs: r.latencySumMs, latencyCounts: [...r.latencyCounts] }],
  );
  const topics = b.log.listTopics().sort().map((name) => {
    const d = b.log.describeTopic(name);
    return { name, partitions: d.partitions.length, endOffsets: d.partitions.map((p) => p.logEndOffset), bytes: d.partitions.reduce((n, p) => n + p.size, 0) };
  });
  const groupStates: Record<string, number> = {};
  for (const g of b.groups.listGroups([], [])) groupStates[g.groupState] = (groupStates[g.groupState] ?? 0) + 1;
  return {
    time: Date.now(),
    address: b.advertisedAddress,
    connections: b.connectionCount,
    connectionsAccepted: stats.connectionsAccepted,
    bytesIn: stats.bytesIn,
    bytesOut: stats.bytesOut,
    requests,
    topics,
    groupStates,
  };
}

/** Topics, partitions, offsets and groups of the embedded log (the broker's, or the one given). */
export function logSnapshot(s: DashboardSources, app: AppSnapshot | undefined): LogView | undefined {
  const log = s.log ?? s.broker?.log;
  if (!log) return undefined;
  const extra = app
    ? [
        {
          groupId: app.applicationId,
          state: app.running ? 'Stable' : 'Empty',
          offsets: app.partitions.map((p) => ({ topic: p.topic, partition: p.partition, committed: p.committed })),
        },
      ]
    : [];
  return logView(log, s.broker?.groups, extra);
}
