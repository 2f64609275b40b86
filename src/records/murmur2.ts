/**
 * Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2): 32-bit MurmurHash2 with seed
 * 0x9747b28c, little-endian 4-byte blocks. Java's int arithmetic wraps at 32 bits; Math.imul and
 * `| 0` give the same wrapping here, so the result is the same signed int Java returns.
 */
const SEED = 0x9747b28c;
const M = 0x5bd1e995;

export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const blocks = length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // Java's switch falls through 3 -> 2 -> 1; the project's tsconfig forbids fallthrough, hence ifs.
  const rest = length & 3;
  if (rest === 3) h ^= data[blocks + 2]! << 16;
  if (rest >= 2) h ^= data[blocks + 1]! << 8;
  if (rest >= 1) {
    h ^= data[blocks]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Java's Utils.toPositive: clears the sign bit (not Math.abs, which differs for negatives). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/**
 * murmur2 of the UTF-8 bytes of `s` when every char is ASCII (its bytes are then its char codes),
 * without encoding it; -1 when a char is not ASCII (murmur2 itself may return -1 too: callers
 * encode and hash the bytes then). A sink partitioning a string key by its bytes (a repartition
 * kept in memory, which makes no key bytes otherwise) hashes the string itself.
 */
export function murmur2Ascii(s: string): number {
  const length = s.length;
  for (let i = 0; i < length; i++) if (s.charCodeAt(i) > 0x7f) return -1;
  let h = SEED ^ length;
  const blocks = length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) | (s.charCodeAt(i + 3) << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const rest = length & 3;
  if (rest === 3) h ^= s.charCodeAt(blocks + 2) << 16;
  if (rest >= 2) h ^= s.charCodeAt(blocks + 1) << 8;
  if (rest >= 1) {
    h ^= s.charCodeAt(blocks);
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}
