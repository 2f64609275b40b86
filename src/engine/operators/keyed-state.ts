import type { KeyValueStore } from '../../state/kv-store.js';
import { prefixEnd } from '../../state/bytes.js';
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

export class KeyedStateBackend implements KeyedState {
  currentKey: Buffer = Buffer.alloc(0);
  readonly specs = new Map<string, StateSpec>();

  constructor(
    private readonly store: KeyValueStore,
    private readonly clock: StateClock,
  ) {}

  value<T>(name: string, options?: StateOptions): ValueState<T> {
    const spec = this.declare(name, options);
    return {
      get: () => this.read(this.prefix(spec.name), spec) as T | undefined,
      set: (v) => this.write(this.prefix(spec.name), v, spec),
      clear: () => this.store.delete(this.prefix(spec.name)),
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
      clear: () => this.store.delete(this.prefix(spec.name)),
    };
  }

  map<MK, MV>(name: string, options?: StateOptions): MapState<MK, MV> {
    const spec = this.declare(name, options);
    const entryKey = (mk: MK) => Buffer.concat([this.prefix(spec.name), MAP_KEYS.encode(mk)]);
    const entries = (): Array<[MK, MV]> => {
      const prefix = this.prefix(spec.name);
      const out: Array<[MK, MV]> = [];
      for (const e of [...this.store.range(prefix, prefixEnd(prefix))]) {
        const v = this.read(e.key, spec);
        if (v !== undefined) out.push([MAP_KEYS.decode(e.key.subarray(prefix.length)) as MK, v as MV]);
      }
      return out;
    };
    return {
      get: (mk) => this.read(entryKey(mk), spec) as MV | undefined,
      has: (mk) => this.read(entryKey(mk), spec) !== undefined,
      set: (mk, v) => this.write(entryKey(mk), v, spec),
      delete: (mk) => this.store.delete(entryKey(mk)),
      entries,
      clear: () => {
        const prefix = this.prefix(spec.name);
        for (const e of [...this.store.range(prefix, prefixEnd(prefix))]) this.store.delete(e.key);
      },
    };
  }

  /** Deletes the entry if it has expired by now (a TTL purge timer fired). */
  purge(storeKey: Buffer): void {
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

  private prefix(name: string): Buffer {
    const n = Buffer.from(name, 'utf8');
    const k = this.currentKey;
    const out = Buffer.allocUnsafe(2 + n.length + 4 + k.length);
    out.writeUInt16BE(n.length, 0);
    out.set(n, 2);
    out.writeUInt32BE(k.length, 2 + n.length);
    out.set(k, 6 + n.length);
    return out;
  }

  private read(sk: Buffer, spec: StateSpec): unknown {
    const b = this.store.get(sk);
    if (!b) return undefined;
    const [value, writtenAt] = decodeState<[unknown, number]>(b);
    if (this.expired(writtenAt, spec)) {
      this.store.delete(sk);
      return undefined;
    }
    return value;
  }

  private write(sk: Buffer, value: unknown, spec: StateSpec): void {
    const writtenAt = spec.ttl === Infinity ? 0 : this.clock.writeTime(spec.domain);
    this.store.put(sk, encodeState([value, writtenAt]));
    if (spec.ttl !== Infinity) this.clock.expires(spec.domain, writtenAt + spec.ttl, sk);
  }

  private expired(writtenAt: number, spec: StateSpec): boolean {
    return spec.ttl !== Infinity && writtenAt + spec.ttl <= this.clock.now(spec.domain);
  }
}

function nameOf(storeKey: Buffer): string {
  const n = storeKey.readUInt16BE(0);
  return storeKey.toString('utf8', 2, 2 + n);
}
