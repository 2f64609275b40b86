import type { StreamsApp } from '../engine/app.js';
import type { Task } from '../engine/task.js';
import type { GraphNode } from '../engine/graph.js';
import { partitionForKey } from '../records/partitioner.js';
import { KeyEncodingError, type StoreLookup } from '../engine/store-lookup.js';
import { DashboardError } from './errors.js';

/**
 * Where a partition of a store lives when several processes run an application: the base URL
 * of the process's dashboard (e.g. "http://10.0.0.7:8080") and headers to send it (its token),
 * or undefined when this process owns it. By default (groupStateOwner) the scale-out runtime's
 * consumer group answers: each member announces its dashboard in its JoinGroup metadata (Kafka
 * Streams' application.server) and the leader's assignment maps every partition to an endpoint;
 * a single process owns everything.
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
  /** Read only this partition. */
  readonly partition?: number;
  /** Read only these partitions (what a forwarding process asks of the owner; wins over `partition`). */
  readonly partitions?: readonly number[];
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
 * The keys a query's key text may name: the text itself, and what it parses to as JSON when that
 * is not a string (a number, an object key). Each is looked up where its bytes put it.
 */
function keyCandidates(text: string): unknown[] {
  const out: unknown[] = [text];
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'string') out.push(parsed);
  } catch {
    // not JSON: only the text
  }
  return out;
}

/** The key's bytes on its topic, or undefined when the store's key serde cannot encode this reading of the text. */
function topicKeysOf(lookup: StoreLookup, k: unknown): Buffer[] | undefined {
  try {
    return lookup.topicKeys(k);
  } catch (e) {
    if (e instanceof KeyEncodingError) return undefined;
    throw e;
  }
}

/** The candidates the store's key serde can encode, and the partitions their topic bytes hash to. */
function keyPlacement(lookup: StoreLookup, text: string, n: number): KeyPlacement {
  const keys: Array<{ key: unknown; partitions: Set<number> }> = [];
  const partitions = new Set<number>();
  for (const candidate of keyCandidates(text)) {
    let k = candidate;
    let bytes = topicKeysOf(lookup, k);
    // Keys that are Buffers (the bytes() serde takes no string) are named by their UTF-8 text.
    if (bytes === undefined && typeof k === 'string') bytes = topicKeysOf(lookup, (k = Buffer.from(k, 'utf8')));
    if (bytes === undefined) continue; // this reading of the text is not a key of this store
    const on = new Set(bytes.map((b) => partitionForKey(b, n)));
    keys.push({ key: k, partitions: on });
    for (const p of on) partitions.add(p);
  }
  return { keys, partitions: [...partitions].sort((a, b) => a - b) };
}

interface KeyPlacement {
  /** The readings of the key text the store can hold, each with the partitions its bytes hash to. */
  readonly keys: ReadonlyArray<{ readonly key: unknown; readonly partitions: ReadonlySet<number> }>;
  readonly partitions: number[];
}

/**
 * Point lookups of a key's readings in one task: gets (windowed: a range over the key's windows),
 * never a scan. Only the readings that hash to this partition, unless none does (the caller named
 * the partition: a key written with a partitioner of its own).
 */
function lookupTask(lookup: StoreLookup, placed: KeyPlacement, text: string, task: Task, out: StateEntry[]): void {
  const here = placed.keys.filter((c) => c.partitions.has(task.partition));
  for (const { key: k } of here.length > 0 ? here : placed.keys) {
    let entries: Iterable<readonly [unknown, unknown]>;
    try {
      entries = lookup.entries((name) => task.store(name)!, k, task.watermark);
      for (const [key, v] of entries) if (keyText(key) === text) out.push(entryOf(key, v, task.partition));
    } catch (e) {
      if (!(e instanceof KeyEncodingError)) throw e;
    }
  }
}

export interface QueryContext {
  /** The query came from another process (it routed it here): answer from this process's tasks only, never forward again. */
  readonly forwarded?: boolean;
}

/** A request header naming a query another process forwarded (see QueryContext.forwarded). */
export const FORWARDED_HEADER = 'x-tributary-forwarded';

/**
 * The owners of a scaled-out application's partitions, from its consumer group: every process
 * announced its dashboard (RuntimeOptions.applicationServer) and the group's leader handed out
 * partition -> endpoint with the assignment; current as of the last rebalance. `headers` go with
 * each forwarded query (the token: processes of one application share it).
 */
export function groupStateOwner(app: StreamsApp, headers?: Readonly<Record<string, string>>): StateOwnerLookup {
  return (_store, partition) => {
    const endpoints = app.activeRuntime?.queryEndpoints;
    if (!endpoints) return undefined;
    const url = endpoints.owners.get(partition);
    if (url === undefined || url === endpoints.self) return undefined;
    return { url, ...(headers ? { headers } : {}) };
  };
}

/**
 * Interactive queries over the state stores of a running application: by key (point lookups on
 * the partition(s) the key's bytes hash to, by the store's key serde and Kafka's murmur2) or by an
 * inclusive key range (every partition, merged). Partitions this process does not own are asked
 * of their owner through `owner` (see StateOwnerLookup), one request per owner.
 */
export async function queryState(app: StreamsApp, store: string, query: StateQuery, owner?: StateOwnerLookup, context: QueryContext = {}): Promise<StateQueryResult> {
  const rt = app.activeRuntime;
  if (!rt || rt.isFinished) throw new DashboardError('NOT_RUNNING', 'the application is not running', 503);
  const q = queryable(app).find((x) => x.name === store);
  if (!q) {
    const names = listQueryableStores(app).map((x) => x.name);
    throw new DashboardError('UNKNOWN_STORE', `no queryable store '${store}' (queryable: ${names.join(', ') || 'none'})`, 404);
  }
  const n = rt.taskCounts[q.subtopology] ?? 0;
  const limit = Math.min(MAX_LIMIT, Math.max(1, query.limit ?? DEFAULT_LIMIT));
  const asked = query.partitions ?? (query.partition !== undefined ? [query.partition] : undefined);
  for (const p of asked ?? []) {
    if (!(Number.isInteger(p) && p >= 0 && p < n)) throw new DashboardError('BAD_QUERY', `partition must be in [0, ${n - 1}]`);
  }
  if (query.key === undefined && query.from !== undefined && query.to !== undefined && query.from > query.to) {
    throw new DashboardError('BAD_QUERY', `from ('${query.from}') is after to ('${query.to}')`);
  }
  const key = query.key;
  const lookup = key !== undefined ? q.node.init.lookup : undefined;
  const placed = lookup && key !== undefined ? keyPlacement(lookup, key, n) : undefined;
  let partitions: number[];
  if (asked) partitions = [...asked];
  else if (placed) partitions = placed.partitions;
  // A store without point lookups: the key's UTF-8 partition, and the rest if it is not there.
  else if (key !== undefined) partitions = [partitionForKey(Buffer.from(key, 'utf8'), n)];
  else partitions = Array.from({ length: n }, (_, i) => i);

  const local = new Map<number, Task>();
  for (const t of rt.tasks) if (t.subtopology === q.subtopology) local.set(t.partition, t);
  const match =
    key !== undefined
      ? (t: string) => t === key
      : (t: string) => (query.from === undefined || t >= query.from) && (query.to === undefined || t <= query.to);
  const entries: StateEntry[] = [];
  let truncated = false;
  const read = async (ps: readonly number[]): Promise<void> => {
    const remote = new Map<string, { owner: { url: string; headers?: Readonly<Record<string, string>> }; partitions: number[] }>();
    for (const p of ps) {
      const task = local.get(p);
      // The group's map decides (it is what every process routes by); a forwarded query is answered here or not at all.
      const elsewhere = context.forwarded ? undefined : owner?.(store, p);
      if (elsewhere) {
        const r = remote.get(elsewhere.url) ?? { owner: elsewhere, partitions: [] as number[] };
        r.partitions.push(p);
        remote.set(elsewhere.url, r);
        continue;
      }
      if (!task) {
        if (context.forwarded) throw new DashboardError('NOT_OWNER', `partition ${p} of '${store}' is not in this process (any more): ask again once the group has rebalanced`, 503);
        throw new DashboardError('OWNER_UNREACHABLE', `partition ${p} of '${store}' is not in this process and no owner is known`, 503);
      }
      if (lookup && placed && key !== undefined) lookupTask(lookup, placed, key, task, entries);
      else readTask(q, task, match, entries);
    }
    // One request per owner, all at once: a range query fans out to every process and merges.
    const answers = await Promise.all([...remote.values()].map((r) => askOwner(r.owner, store, query, r.partitions)));
    for (const a of answers) {
      entries.push(...a.entries);
      truncated ||= a.truncated;
    }
  };
  await read(partitions);
  if (!lookup && key !== undefined && !asked && entries.length === 0) {
    const rest = Array.from({ length: n }, (_, i) => i).filter((p) => p !== partitions[0]);
    await read(rest);
    partitions = Array.from({ length: n }, (_, i) => i);
  }
  entries.sort((a, b) => {
    const ka = keyText(a.key);
    const kb = keyText(b.key);
    return ka < kb ? -1 : ka > kb ? 1 : (a.window?.start ?? 0) - (b.window?.start ?? 0);
  });
  return { store, partitions, entries: entries.slice(0, limit), truncated: truncated || entries.length > limit };
}

async function askOwner(
  owner: { url: string; headers?: Readonly<Record<string, string>> },
  store: string,
  query: StateQuery,
  partitions: readonly number[],
): Promise<{ entries: StateEntry[]; truncated: boolean }> {
  const u = new URL(`/api/state/${encodeURIComponent(store)}`, owner.url);
  if (query.key !== undefined) u.searchParams.set('key', query.key);
  if (query.from !== undefined) u.searchParams.set('from', query.from);
  if (query.to !== undefined) u.searchParams.set('to', query.to);
  u.searchParams.set('partition', partitions.join(','));
  u.searchParams.set('limit', String(MAX_LIMIT));
  const where = `partition${partitions.length > 1 ? 's' : ''} ${partitions.join(', ')} of '${store}'`;
  let res: Response;
  try {
    res = await fetch(u, { headers: { ...owner.headers, [FORWARDED_HEADER]: '1' } });
  } catch (e) {
    throw new DashboardError('OWNER_UNREACHABLE', `${where}: the owner ${owner.url} is unreachable (${e instanceof Error ? e.message : String(e)})`, 502);
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => undefined)) as { error?: string; message?: string } | undefined;
    throw new DashboardError('OWNER_UNREACHABLE', `${where}: the owner ${owner.url} answered ${res.status}${body?.error ? ` ${body.error}: ${body.message ?? ''}` : ''}`, 502);
  }
  const body = (await res.json()) as StateQueryResult;
  return { entries: [...body.entries], truncated: body.truncated };
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
