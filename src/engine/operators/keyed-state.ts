import type { KeyValueStore } from '../../state/kv-store.js';
import { prefixEnd } from '../../state/bytes.js';
import { RecordCache, type CachedEntry } from '../../state/record-cache.js';
import { decodeState, encodeState, StoreKeyCodec } from '../codec.js';
import { toMillis } from '../duration.js';
import { TopologyError } from '../errors.js';
import type { KeyedState, ListState, MapState, StateOptions, ValueState } from '../processor.js';

/**
 * Processor state in one store. Keys are `[u16 name length][name][u32 key length][key][map key]`,
 * so each state name and record key is a contiguous range (a map state's entries, or all of a
 * name's state when restoring TTLs). Values are `[value, writtenAt]`.
 */
export interface StateSpec {
  readonly name: string;
  readonly ttl: number;
  readonly domain: 'event' | 'processing';
}

export interface StateClock {
  /** Time a write is stamped with in a domain: the current event time, or the wall clock. */
  writeTime(domain: 'event' | 'processing'): number;
  /** Now in a domain, for expiry: the watermark, or the wall clock. */
  now(domain: 'event' | 'processing'): number;
  /** An entry written now expires at `at`: the operator purges it then. */
  expires(domain: 'event' | 'processing', at: number, storeKey: Buffer): void;
}

const MAP_KEYS = new StoreKeyCodec(undefined);

/** A value or list state of one key, decoded, as the record cache holds it. */
interface CachedState extends CachedEntry {
  readonly sk: Buffer;
  /** undefined: no state (never written, cleared or expired). */
  value: unknown;
  writtenAt: number;
  /** Changed since the last flush. */
  dirty: boolean;
  /** Left the cache (its change written back): a later access has a new entry. */
  evicted: boolean;
  /** A map state's entry under a plain map key: where its index holds it (it is removed from there when it leaves). */
  index?: MapIndex;
  kid?: string;
  mk?: unknown;
}

/**
 * A map state's cached entries of one state name, by record key (latin1 of its bytes), then by
 * map key as it is (strings and numbers but -0): an entry read before is found without encoding
 * its store key (a map key's auto format is V8's, a serializer per lookup).
 */
type MapIndex = Map<string, Map<unknown, CachedState>>;

/** Estimated bytes of a cached state (Kafka Streams-like estimates: values are not encoded to be measured). */
const STATE_OVERHEAD = 128;
const LIST_ITEM_BYTES = 64;

/**
 * Value and list states are kept decoded in a record cache (record-cache.ts, bounded by the
 * store's `cacheMaxBytes`) and written to the store at `flush()` (the operator's flushState,
 * before each commit) or when evicted: a processor updating a key's state per record changes a
 * JS value, and the store and its changelog see each changed state once per commit, as Flink's
 * heap state backend keeps objects and serializes at checkpoints. As there, `get()` of a value
 * state returns the object the state holds (not a copy): change it through `set()`. Map state
 * entries are cached the same way, one cache entry per map entry (Flink's MapState: a distinct
 * count's set costs a lookup per record and one write per changed entry per commit, not its whole
 * set); `entries()` and `clear()` read the store's range, so they write the changes back first.
 */
export class KeyedStateBackend implements KeyedState {
  private key: Buffer = Buffer.alloc(0);
  /** Bumped whenever the current key is set (a serde may hand the same Buffer again with other bytes). */
  private keyGen = 0;
  readonly specs = new Map<string, StateSpec>();
  private readonly cache: RecordCache<CachedState>;
  private dirty: CachedState[] = [];
  /** Map states' indexes by state name (a processor may ask for its map state per record). */
  private readonly mapIndexes = new Map<string, MapIndex>();
  /** The current key's latin1 id, for the map indexes, and the key generation it is of. */
  private keyIdGen = -1;
  private keyId = '';

  constructor(
    private readonly store: KeyValueStore,
    private readonly clock: StateClock,
  ) {
    this.cache = new RecordCache<CachedState>(store.cacheMaxBytes ?? Infinity, (_id, e) => {
      e.evicted = true;
      this.unindex(e);
      this.writeBack(e);
    });
  }

  /** The record key whose state get/set reach (its store key bytes); the operator sets it per record. */
  get currentKey(): Buffer {
    return this.key;
  }

  set currentKey(k: Buffer) {
    this.key = k;
    this.keyGen++;
  }

  /** Writes the states changed since the last flush to the store (and so to its changelog). */
  flush(): void {
    const dirty = this.dirty;
    if (dirty.length === 0) return;
    this.dirty = [];
    for (const e of dirty) {
      if (e.evicted) continue; // written back when it left the cache
      this.writeBack(e);
      // a state gone from the store need not stay cached: a miss reads the store, which agrees
      if (e.value === undefined) this.drop(e);
    }
  }

  /** After a batch: entries grown in place (lists) may have passed the bound. */
  shrink(): void {
    this.cache.shrink();
  }

  value<T>(name: string, options?: StateOptions): ValueState<T> {
    const spec = this.declare(name, options);
    // The entry of the last key asked for: a get() and set() for one record find it once.
    let lastGen = -1;
    let last: CachedState | undefined;
    const at = (load: boolean): CachedState => {
      if (this.keyGen === lastGen && !last!.evicted) return last!;
      lastGen = this.keyGen;
      return (last = this.entry(this.prefix(spec.name), load));
    };
    return {
      get: () => this.readEntry(at(true), spec) as T | undefined,
      set: (v) => this.writeEntry(at(false), v, spec),
      clear: () => this.writeEntry(at(false), undefined, spec),
    };
  }

  list<T>(name: string, options?: StateOptions): ListState<T> {
    const spec = this.declare(name, options);
    return {
      get: () => [...((this.read(this.prefix(spec.name), spec) as T[] | undefined) ?? [])],
      add: (v) => {
        const sk = this.prefix(spec.name);
        const cur = (this.read(sk, spec) as T[] | undefined) ?? [];
        cur.push(v);
        this.write(sk, cur, spec);
      },
      set: (vs) => this.write(this.prefix(spec.name), [...vs], spec),
      clear: () => this.write(this.prefix(spec.name), undefined, spec),
    };
  }

  map<MK, MV>(name: string, options?: StateOptions): MapState<MK, MV> {
    const spec = this.declare(name, options);
    let index = this.mapIndexes.get(name);
    if (index === undefined) this.mapIndexes.set(name, (index = new Map()));
    const idx = index;
    const entries = (): Array<[MK, MV]> => {
      this.flush(); // the range below reads the store: cached changes go there first
      const prefix = this.prefix(spec.name);
      const out: Array<[MK, MV]> = [];
      for (const e of [...this.store.range(prefix, prefixEnd(prefix))]) {
        const v = this.read(Buffer.from(e.key), spec);
        if (v !== undefined) out.push([MAP_KEYS.decode(e.key.subarray(prefix.length)) as MK, v as MV]);
      }
      return out;
    };
    return {
      get: (mk) => this.readEntry(this.mapEntry(idx, spec, mk, true), spec) as MV | undefined,
      has: (mk) => this.readEntry(this.mapEntry(idx, spec, mk, true), spec) !== undefined,
      set: (mk, v) => this.writeEntry(this.mapEntry(idx, spec, mk, false), v, spec),
      delete: (mk) => this.writeEntry(this.mapEntry(idx, spec, mk, false), undefined, spec),
      entries,
      clear: () => {
        this.flush();
        const prefix = this.prefix(spec.name);
        for (const e of [...this.store.range(prefix, prefixEnd(prefix))]) {
          const c = this.cache.get(e.key.toString('latin1'));
          if (c !== undefined) this.drop(c);
          this.store.delete(e.key);
        }
      },
    };
  }

  /** Deletes the entry if it has expired by now (a TTL purge timer fired). */
  purge(storeKey: Buffer): void {
    const e = this.cache.get(storeKey.toString('latin1'));
    if (e !== undefined) {
      const spec = this.specs.get(nameOf(storeKey));
      if (spec && e.value !== undefined && this.expired(e.writtenAt, spec)) this.change(e, undefined, 0);
      return;
    }
    const b = this.store.get(storeKey);
    if (!b) return;
    const spec = this.specs.get(nameOf(storeKey));
    if (!spec) return;
    const [, writtenAt] = decodeState<[unknown, number]>(b);
    if (this.expired(writtenAt, spec)) this.store.delete(storeKey);
  }

  /** After a restore: the purge time of every entry with a TTL. */
  *ttlEntries(): IterableIterator<{ domain: 'event' | 'processing'; at: number; storeKey: Buffer }> {
    for (const e of this.store.all()) {
      const spec = this.specs.get(nameOf(e.key));
      if (!spec || spec.ttl === Infinity) continue;
      const [, writtenAt] = decodeState<[unknown, number]>(e.value);
      yield { domain: spec.domain, at: writtenAt + spec.ttl, storeKey: e.key };
    }
  }

  private declare(name: string, options: StateOptions | undefined): StateSpec {
    const ttl = options?.ttl === undefined ? Infinity : toMillis(options.ttl, `ttl of state '${name}'`);
    const spec: StateSpec = { name, ttl, domain: options?.ttlTime ?? 'event' };
    const prev = this.specs.get(name);
    if (prev && (prev.ttl !== spec.ttl || prev.domain !== spec.domain)) {
      throw new TopologyError(`state '${name}' declared twice with different options`);
    }
    this.specs.set(name, spec);
    return spec;
  }

  /** State names as UTF-8, made once (prefix() runs per state access). */
  private readonly nameBytes = new Map<string, Buffer>();

  private prefix(name: string): Buffer {
    let n = this.nameBytes.get(name);
    if (n === undefined) this.nameBytes.set(name, (n = Buffer.from(name, 'utf8')));
    const k = this.key;
    const out = Buffer.allocUnsafe(2 + n.length + 4 + k.length);
    out.writeUInt16BE(n.length, 0);
    out.set(n, 2);
    out.writeUInt32BE(k.length, 2 + n.length);
    out.set(k, 6 + n.length);
    return out;
  }

  /** A value or list state, through the cache. */
  private read(sk: Buffer, spec: StateSpec): unknown {
    return this.readEntry(this.entry(sk, true), spec);
  }

  private readEntry(e: CachedState, spec: StateSpec): unknown {
    if (e.value === undefined) return undefined;
    if (this.expired(e.writtenAt, spec)) {
      this.change(e, undefined, 0);
      return undefined;
    }
    return e.value;
  }

  /** Sets (undefined: clears) a value or list state, through the cache. */
  private write(sk: Buffer, value: unknown, spec: StateSpec): void {
    this.writeEntry(this.entry(sk, false), value, spec);
  }

  private writeEntry(e: CachedState, value: unknown, spec: StateSpec): void {
    if (value === undefined) {
      this.change(e, undefined, 0);
      return;
    }
    const writtenAt = spec.ttl === Infinity ? 0 : this.clock.writeTime(spec.domain);
    this.change(e, value, writtenAt);
    if (spec.ttl !== Infinity) this.clock.expires(spec.domain, writtenAt + spec.ttl, e.sk);
  }

  /**
   * A map state's entry of the current key: from the index when the map key is plain, else (or on
   * a miss there) through its store key, as entry() finds value states.
   */
  private mapEntry(index: MapIndex, spec: StateSpec, mk: unknown, load: boolean): CachedState {
    if (!isPlainKey(mk)) return this.entry(Buffer.concat([this.prefix(spec.name), MAP_KEYS.encode(mk)]), load);
    const kid = this.currentKeyId();
    let byMk = index.get(kid);
    let e = byMk?.get(mk);
    if (e !== undefined) {
      e.ref = true;
      return e;
    }
    e = this.entry(Buffer.concat([this.prefix(spec.name), MAP_KEYS.encode(mk)]), load);
    if (byMk === undefined) index.set(kid, (byMk = new Map()));
    e.index = index;
    e.kid = kid;
    e.mk = mk;
    byMk.set(mk, e);
    return e;
  }

  /** The current key's bytes as a latin1 string, made once per key set. */
  private currentKeyId(): string {
    if (this.keyIdGen === this.keyGen) return this.keyId;
    this.keyIdGen = this.keyGen;
    return (this.keyId = this.key.toString('latin1'));
  }

  /** Removes an entry from the cache (and a map entry from its index): its state is gone or written back. */
  private drop(e: CachedState): void {
    e.evicted = true; // gone from the cache: a later access makes a new entry
    this.cache.delete(e.sk.toString('latin1'));
    this.unindex(e);
  }

  private unindex(e: CachedState): void {
    const index = e.index;
    if (index === undefined) return;
    e.index = undefined;
    const byMk = index.get(e.kid!);
    if (byMk === undefined || byMk.get(e.mk) !== e) return;
    byMk.delete(e.mk);
    if (byMk.size === 0) index.delete(e.kid!);
  }

  /** The cached state at `sk`; on a miss, the store's (`load`), or none when it is about to be overwritten. */
  private entry(sk: Buffer, load: boolean): CachedState {
    const id = sk.toString('latin1');
    let e = this.cache.get(id);
    if (e !== undefined) return e;
    e = { sk, value: undefined, writtenAt: 0, dirty: false, evicted: false, bytes: STATE_OVERHEAD + sk.length, ref: false };
    if (load) {
      const b = this.store.get(sk);
      if (b) [e.value, e.writtenAt] = decodeState<[unknown, number]>(b);
    }
    if (this.cache.bounded) {
      e.bytes = this.sizeOf(e);
      this.cache.makeRoom(e.bytes);
    }
    this.cache.add(id, e);
    return e;
  }

  private change(e: CachedState, value: unknown, writtenAt: number): void {
    e.value = value;
    e.writtenAt = writtenAt;
    if (!e.dirty) {
      e.dirty = true;
      this.dirty.push(e);
    }
    if (this.cache.bounded) this.cache.resize(e, this.sizeOf(e));
  }

  private sizeOf(e: CachedState): number {
    return STATE_OVERHEAD + e.sk.length + (Array.isArray(e.value) ? e.value.length * LIST_ITEM_BYTES : 0);
  }

  private writeBack(e: CachedState): void {
    if (!e.dirty) return;
    e.dirty = false;
    if (e.value === undefined) this.store.delete(e.sk);
    else this.store.put(e.sk, encodeState([e.value, e.writtenAt]));
  }

  private expired(writtenAt: number, spec: StateSpec): boolean {
    return spec.ttl !== Infinity && writtenAt + spec.ttl <= this.clock.now(spec.domain);
  }
}

function nameOf(storeKey: Buffer): string {
  const n = storeKey.readUInt16BE(0);
  return storeKey.toString('utf8', 2, 2 + n);
}

/**
 * Map keys indexed as they are: strings, and numbers but -0 (a Map takes -0 for 0, the store key
 * does not). Equal such keys have equal store keys, so the index agrees with the record cache.
 */
function isPlainKey(k: unknown): k is string | number {
  const t = typeof k;
  return t === 'string' || (t === 'number' && !Object.is(k, -0));
}
