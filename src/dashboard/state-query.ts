import type { StreamsApp } from '../engine/app.js';
import type { Task } from '../engine/task.js';
import type { GraphNode } from '../engine/graph.js';
import { partitionForKey } from '../records/partitioner.js';
import { DashboardError } from './errors.js';

/**
 * Where a partition of a store lives when several processes run an application: the base URL
 * of the process's dashboard (e.g. "http://10.0.0.7:8080") and headers to send it (its token),
 * or undefined when this process owns it. The multi-process runtime fills this in from its group
 * assignment (each member advertises its dashboard address in its subscription userdata, as
 * Kafka Streams' application.server does); a single process owns everything.
 */
export type StateOwnerLookup = (store: string, partition: number) => { readonly url: string; readonly headers?: Readonly<Record<string, string>> } | undefined;

export interface StateEntry {
  readonly key: unknown;
  /** Windowed stores: the window of the entry. */
  readonly window?: { readonly start: number; readonly end: number };
  readonly value: unknown;
  readonly partition: number;
}

export interface StateQueryResult {
  readonly store: string;
  /** The partitions read (a key query: the owner of the key). */
  readonly partitions: readonly number[];
  readonly entries: readonly StateEntry[];
  /** More entries matched than `limit`. */
  readonly truncated: boolean;
}

export interface StateQuery {
  /** Exact key (as text: a string key itself; other keys as their JSON). */
  readonly key?: string;
  /** Inclusive bounds on the key text. */
  readonly from?: string;
  readonly to?: string;
  /** Read only this partition (what a forwarding process asks of the owner). */
  readonly partition?: number;
  readonly limit?: number;
}

export const DEFAULT_LIMIT = 1000;
export const MAX_LIMIT = 10_000;

interface QueryableStore {
  readonly name: string;
  readonly node: GraphNode;
  readonly subtopology: number;
}

function queryable(app: StreamsApp): QueryableStore[] {
  const rt = app.activeRuntime;
  if (!rt) return [];
  const out: QueryableStore[] = [];
  for (const s of rt.topology.subtopologies) {
    for (const n of s.nodes) if (n.init.read) for (const st of n.stores) out.push({ name: st.name, node: n, subtopology: s.id });
  }
  return out;
}

/** The stores interactive queries can read: those of tables and aggregations (their values decode to what the user computed). */
export function listQueryableStores(app: StreamsApp): Array<{ name: string; operator: string; type: string; subtopology: number; partitions: number }> {
  const counts = app.activeRuntime?.taskCounts ?? [];
  return queryable(app).map((q) => ({ name: q.name, operator: q.node.name, type: q.node.type, subtopology: q.subtopology, partitions: counts[q.subtopology] ?? 0 }));
}

/** A key as the text a query names it by: strings as they are, Buffers as UTF-8, a window's key by its key, others as JSON. */
export function keyText(k: unknown): string {
  if (typeof k === 'string') return k;
  if (Buffer.isBuffer(k)) return k.toString('utf8');
  if (k !== null && typeof k === 'object' && 'key' in k && 'start' in k && 'end' in k) return keyText((k as { key: unknown }).key);
  return JSON.stringify(k) ?? String(k);
}

function entryOf(k: unknown, v: unknown, partition: number): StateEntry {
  if (k !== null && typeof k === 'object' && 'key' in k && 'start' in k && 'end' in k) {
    const w = k as { key: unknown; start: number; end: number };
    return { key: w.key, window: { start: w.start, end: w.end }, value: v, partition };
  }
  return { key: k, value: v, partition };
}

function readTask(q: QueryableStore, task: Task, match: (text: string) => boolean, out: StateEntry[]): void {
  // Synchronous from first to last entry: the runtime cannot process records in between, so a
  // query sees one consistent state of the task.
  for (const [k, v] of q.node.init.read!((name) => task.store(name)!, task.watermark)) {
    if (match(keyText(k))) out.push(entryOf(k, v, task.partition));
  }
}

/**
 * Interactive queries over the state stores of a running application: by key (routed to the
 * partition that owns it: Kafka's murmur2 of the key's UTF-8 bytes, the partition a string key
 * is written to) or by an inclusive key range (every partition). Partitions this process does
 * not own are asked of their owner through `owner` (see StateOwnerLookup).
 */
export async function queryState(app: StreamsApp, store: string, query: StateQuery, owner?: StateOwnerLookup): Promise<StateQueryResult> {
  const rt = app.activeRuntime;
  if (!rt || rt.isFinished) throw new DashboardError('NOT_RUNNING', 'the application is not running', 503);
  const q = queryable(app).find((x) => x.name === store);
  if (!q) {
    const names = listQueryableStores(app).map((x) => x.name);
    throw new DashboardError('UNKNOWN_STORE', `no queryable store '${store}' (queryable: ${names.join(', ') || 'none'})`, 404);
  }
  const n = rt.taskCounts[q.subtopology] ?? 0;
  const limit = Math.min(MAX_LIMIT, Math.max(1, query.limit ?? DEFAULT_LIMIT));
  if (query.partition !== undefined && !(Number.isInteger(query.partition) && query.partition >= 0 && query.partition < n)) {
    throw new DashboardError('BAD_QUERY', `partition must be in [0, ${n - 1}]`);
  }
  if (query.key === undefined && query.from !== undefined && query.to !== undefined && query.from > query.to) {
    throw new DashboardError('BAD_QUERY', `from ('${query.from}') is after to ('${query.to}')`);
  }
  const key = query.key;
  const match =
    key !== undefined
      ? (t: string) => t === key
      : (t: string) => (query.from === undefined || t >= query.from) && (query.to === undefined || t <= query.to);
  let partitions: number[];
  if (query.partition !== undefined) partitions = [query.partition];
  else if (key !== undefined) partitions = [partitionForKey(Buffer.from(key, 'utf8'), n)];
  else partitions = Array.from({ length: n }, (_, i) => i);

  const local = new Map<number, Task>();
  for (const t of rt.tasks) if (t.subtopology === q.subtopology) local.set(t.partition, t);
  const entries: StateEntry[] = [];
  const read = async (p: number): Promise<void> => {
    const remote = owner?.(store, p);
    if (remote) {
      entries.push(...(await askOwner(remote, store, query, p)));
      return;
    }
    const task = local.get(p);
    if (!task) throw new DashboardError('OWNER_UNREACHABLE', `partition ${p} of '${store}' is not in this process and no owner is known`, 503);
    readTask(q, task, match, entries);
  };
  for (const p of partitions) await read(p);
  // A key whose serde does not write it as its UTF-8 text (JSON keys, numbers) may live on
  // another partition than its text hashes to: look at the rest before answering "absent".
  if (key !== undefined && query.partition === undefined && entries.length === 0) {
    for (let p = 0; p < n; p++) if (p !== partitions[0]) await read(p);
    partitions = Array.from({ length: n }, (_, i) => i);
  }
  entries.sort((a, b) => {
    const ka = keyText(a.key);
    const kb = keyText(b.key);
    return ka < kb ? -1 : ka > kb ? 1 : (a.window?.start ?? 0) - (b.window?.start ?? 0);
  });
  return { store, partitions, entries: entries.slice(0, limit), truncated: entries.length > limit };
}

async function askOwner(owner: { url: string; headers?: Readonly<Record<string, string>> }, store: string, query: StateQuery, partition: number): Promise<StateEntry[]> {
  const u = new URL(`/api/state/${encodeURIComponent(store)}`, owner.url);
  if (query.key !== undefined) u.searchParams.set('key', query.key);
  if (query.from !== undefined) u.searchParams.set('from', query.from);
  if (query.to !== undefined) u.searchParams.set('to', query.to);
  u.searchParams.set('partition', String(partition));
  u.searchParams.set('limit', String(MAX_LIMIT));
  let res: Response;
  try {
    res = await fetch(u, { headers: { ...owner.headers } });
  } catch (e) {
    throw new DashboardError('OWNER_UNREACHABLE', `partition ${partition} of '${store}': its owner ${owner.url} is unreachable (${e instanceof Error ? e.message : String(e)})`, 502);
  }
  if (!res.ok) throw new DashboardError('OWNER_UNREACHABLE', `partition ${partition} of '${store}': its owner ${owner.url} answered ${res.status}`, 502);
  const body = (await res.json()) as StateQueryResult;
  return [...body.entries];
}

/** JSON for values of any shape an aggregate may hold: Buffers as base64, bigints as strings, Maps and Sets as objects and arrays. */
export function stateJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (typeof x === 'bigint') return x.toString();
    if (x instanceof Map) return Object.fromEntries(x);
    if (x instanceof Set) return [...x];
    if (x !== null && typeof x === 'object' && (x as { type?: unknown }).type === 'Buffer' && Array.isArray((x as { data?: unknown }).data)) {
      return { base64: Buffer.from((x as { data: number[] }).data).toString('base64') };
    }
    if (typeof x === 'number' && !Number.isFinite(x)) return x > 0 ? 'Infinity' : x < 0 ? '-Infinity' : 'NaN';
    return x;
  });
}
