import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embedded } from '../../src/connectors/embedded/index.js';
import { StreamsApp } from '../../src/engine/app.js';
import { json, string } from '../../src/engine/serdes.js';
import { LogManager } from '../../src/log/log-manager.js';
import { encodeRecordBatch } from '../../src/records/record-batch.js';
import { partitionForKey } from '../../src/records/partitioner.js';

export const PARTITIONS = 4;
export const USERS = 20;
export const PAGES = ['/', '/cart', '/checkout', '/help', '/search'];

export interface Click {
  user: string;
  page: string;
}

/**
 * A running application on a fresh embedded log, small enough to predict exactly: clicks keyed
 * by user (Kafka's partitioner), counted per user without repartitioning (store
 * `clicks-per-user`, so a user's count lives on partition murmur2(user) % 4) and per page after
 * a keyBy through a repartition topic (store `views-per-page`, output topic `page-counts`).
 */
export class DashboardFixture {
  readonly expectedPerUser = new Map<string, number>();
  readonly expectedPerPage = new Map<string, number>();
  written = 0;
  private seq = 0;

  private constructor(
    readonly dir: string,
    readonly log: LogManager,
    readonly app: StreamsApp,
  ) {}

  static async start(): Promise<DashboardFixture> {
    const dir = await mkdtemp(join(tmpdir(), 'tributary-dashboard-'));
    const log = await LogManager.open({ dataDir: dir });
    await log.createTopic('clicks', { partitions: PARTITIONS });
    const app = new StreamsApp({ applicationId: 'dash-test', log: embedded({ manager: log }) });
    const clicks = app.stream('clicks', { key: string(), value: json<Click>() });
    clicks.groupByKey().count({ name: 'clicks-per-user' });
    clicks
      .keyBy((c) => c.page, { key: string(), name: 'by-page' })
      .count({ name: 'views-per-page' })
      .toStream()
      .to('page-counts', { key: string(), value: json<number>() });
    await app.start();
    return new DashboardFixture(dir, log, app);
  }

  /** Appends n clicks (users and pages in a fixed rotation), one batch per partition. */
  async write(n: number): Promise<void> {
    const per: Array<Array<{ key: Buffer; value: Buffer; timestamp: number }>> = Array.from({ length: PARTITIONS }, () => []);
    const now = Date.now();
    for (let i = 0; i < n; i++, this.seq++) {
      const user = `user-${this.seq % USERS}`;
      const page = PAGES[(this.seq * 7) % PAGES.length]!;
      const key = Buffer.from(user);
      per[partitionForKey(key, PARTITIONS)]!.push({ key, value: Buffer.from(JSON.stringify({ user, page })), timestamp: now });
      this.expectedPerUser.set(user, (this.expectedPerUser.get(user) ?? 0) + 1);
      this.expectedPerPage.set(page, (this.expectedPerPage.get(page) ?? 0) + 1);
    }
    for (let p = 0; p < PARTITIONS; p++) if (per[p]!.length) await this.log.partition('clicks', p).append(encodeRecordBatch({ records: per[p]! }));
    this.written += n;
  }

  async close(): Promise<void> {
    await this.app.close().catch(() => undefined);
    await this.log.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Polls until `check` returns a value (not undefined); no timing is asserted, only the outcome. */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Parses Prometheus text into samples: name, labels, value. */
export function parseMetrics(text: string): Array<{ name: string; labels: Record<string, string>; value: number }> {
  const out: Array<{ name: string; labels: Record<string, string>; value: number }> = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    if (m[2]) for (const l of m[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

export function sum(samples: ReturnType<typeof parseMetrics>, name: string, where: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);
}
