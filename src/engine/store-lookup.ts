import { serialize as v8Serialize } from 'node:v8';
import { keyPrefix, prefixEnd } from '../state/bytes.js';
import type { KeyValueEntry, KeyValueStore } from '../state/kv-store.js';
import type { StoreKeyCodec } from './codec.js';
import { TributaryError } from '../records/errors.js';
import type { Serde } from './serdes.js';

/**
 * Interactive queries by key without scanning the store: a table node's entries for one key (a
 * `get`; windowed stores: a range over the key's windows, which are adjacent in store order), and
 * the bytes the key has on the node's input topic, which the partitioner hashed (so a query can go
 * to the one task, or process, that holds the key).
 */
export interface StoreLookup {
  /** The entries of `key` as (key, value), like NodeInit.read; none when absent. Throws KeyEncodingError when the store's key serde cannot encode `key`. */
  entries(store: (name: string) => KeyValueStore, key: unknown, watermark: number): Iterable<readonly [unknown, unknown]>;
  /**
   * The key's bytes on the input topic: one encoding, or, without a key serde (the auto format),
   * for a key that is neither a string nor a Buffer both its JSON (external topics) and V8
   * (internal topics) encodings: the caller looks in the partitions of each.
   */
  topicKeys(key: unknown): Buffer[];
}

/** A key the store's key serde cannot encode (e.g. a number for a string() serde): it cannot be in the store. */
export class KeyEncodingError extends TributaryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_REQUEST', message, options);
  }
}

/** How one store's keys become bytes: its key serde, or the engine's auto format. */
export interface KeyBytes {
  encode(key: unknown): Buffer;
  decode(bytes: Buffer): unknown;
  topicKeys(key: unknown): Buffer[];
}

/** Keys of a store the engine encodes with a StoreKeyCodec (aggregations, toTable). */
export function codecKeyBytes(codec: StoreKeyCodec): KeyBytes {
  const serde = codec.serde;
  if (serde) return serdeKeyBytes(serde);
  return {
    encode: (k) => guard(() => codec.encode(k), k, 'auto'),
    decode: (b) => codec.decode(b),
    topicKeys: (k) => {
      if (typeof k === 'string') return [Buffer.from(k, 'utf8')];
      if (Buffer.isBuffer(k)) return [k];
      return [Buffer.from(JSON.stringify(k) ?? 'null', 'utf8'), v8Serialize(k)];
    },
  };
}

/** Keys of a store written with the topic's key serde as they are (a table read from its topic). */
export function serdeKeyBytes(serde: Serde<unknown>): KeyBytes {
  const encode = (k: unknown): Buffer => guard(() => serde.serialize(k), k, serde.name ?? 'custom');
  return { encode, decode: (b) => serde.deserialize(b), topicKeys: (k) => [encode(k)] };
}

function guard(f: () => unknown, key: unknown, serde: string): Buffer {
  let b: unknown;
  try {
    b = f();
  } catch (e) {
    throw new KeyEncodingError(`the ${serde} key serde cannot encode ${typeof key} key`, { cause: e });
  }
  // Serdes do not check their input: bytes() hands a string back as it is.
  if (!Buffer.isBuffer(b)) throw new KeyEncodingError(`the ${serde} key serde cannot encode ${typeof key} key`);
  return b;
}

/** A key/value store: one `get`. */
export function keyValueLookup(name: string, keys: KeyBytes, value: (b: Buffer) => unknown): StoreLookup {
  return {
    *entries(store, key) {
      const kb = keys.encode(key);
      const v = store(name).get(kb);
      if (v !== undefined) yield [keys.decode(kb), value(v)] as const;
    },
    topicKeys: (k) => keys.topicKeys(k),
  };
}

/**
 * A windowed store (`[len][key][start]` keys): the key's windows are the range of its prefix,
 * decoded by `read`, the node's reader of a run of entries (which also drops closed windows).
 */
export function windowLookup(
  name: string,
  keys: KeyBytes,
  read: (store: KeyValueStore, entries: Iterable<KeyValueEntry>, watermark: number) => Iterable<readonly [unknown, unknown]>,
): StoreLookup {
  return {
    entries(store, key, watermark) {
      const s = store(name);
      const prefix = keyPrefix(keys.encode(key));
      return read(s, s.range(prefix, prefixEnd(prefix)), watermark);
    },
    topicKeys: (k) => keys.topicKeys(k),
  };
}
