/**
 * An exact port of java.util.Random (the 48-bit linear congruential generator of Knuth, TAOCP
 * 3.2.1, as the JDK specifies it): the same seed gives the same nextInt / nextInt(bound) /
 * nextLong / nextDouble / nextBoolean as Java, bit for bit. Nexmark's generator seeds one per
 * event, so this is what makes our events equal Beam's.
 *
 * The 48-bit state is kept as two 24-bit halves in doubles: every intermediate product stays below
 * 2^53, so all arithmetic is exact, and nothing allocates (no BigInt on the hot path).
 */

const TWO_24 = 16777216;
const INV_TWO_24 = 1 / TWO_24;
/** The multiplier 0x5DEECE66D split into its high and low 24 bits. */
const MUL_HI = 0x5de;
const MUL_LO = 0xece66d;
const ADDEND = 0xb;
const MULTIPLIER_BIG = 0x5deece66dn;
const DOUBLE_UNIT = 1 / 2 ** 53;

export class JavaRandom {
  /** High 24 bits of the 48-bit state. */
  private hi = 0;
  /** Low 24 bits of the 48-bit state. */
  private lo = 0;

  /** `new Random(seed)`. A number must be a safe integer; a bigint is taken modulo 2^64 as Java's long. */
  constructor(seed: number | bigint = 0) {
    this.setSeed(seed);
  }

  /** Random.setSeed: state = (seed ^ 0x5DEECE66D) mod 2^48. */
  setSeed(seed: number | bigint): void {
    if (typeof seed === 'number' && seed >= 0 && seed <= Number.MAX_SAFE_INTEGER && Number.isInteger(seed)) {
      // Only the low 48 bits of the seed matter.
      const lo = seed % TWO_24;
      const hi = Math.floor(seed * INV_TWO_24) % TWO_24;
      this.lo = lo ^ MUL_LO;
      this.hi = hi ^ MUL_HI;
      return;
    }
    const big = BigInt.asUintN(48, BigInt(seed) ^ MULTIPLIER_BIG);
    this.hi = Number(big >> 24n);
    this.lo = Number(big & 0xffffffn);
  }

  /** Advance the LCG: state = (state * 0x5DEECE66D + 0xB) mod 2^48. */
  private step(): void {
    const lo = this.lo;
    const p = lo * MUL_LO + ADDEND; // < 2^48
    const carry = Math.floor(p * INV_TWO_24);
    const q = this.hi * MUL_LO + lo * MUL_HI + carry; // < 2^50
    this.lo = p - carry * TWO_24;
    this.hi = q - Math.floor(q * INV_TWO_24) * TWO_24;
  }

  /** Random.next(bits), 1 <= bits <= 32: the top `bits` bits of the new state, as a signed int. */
  next(bits: number): number {
    this.step();
    if (bits <= 24) return this.hi >>> (24 - bits);
    return (this.hi * (1 << (bits - 24)) + (this.lo >>> (48 - bits))) | 0;
  }

  /** The top 31 bits (next(31)), the common case, without the generic shifts. */
  private next31(): number {
    this.step();
    return this.hi * 128 + (this.lo >>> 17);
  }

  nextInt(): number {
    this.step();
    return (this.hi * 256 + (this.lo >>> 16)) | 0;
  }

  /** Random.nextInt(bound) with the JDK's exact rejection rule. */
  nextIntBounded(bound: number): number {
    if (!(bound > 0) || bound > 0x7fffffff || !Number.isInteger(bound)) {
      throw new RangeError(`bound must be a positive int, got ${bound}`);
    }
    let r = this.next31();
    const m = bound - 1;
    if ((bound & m) === 0) {
      // (int)((bound * (long) r) >> 31): exact, bound is a power of two.
      return Math.floor((r * bound) / 2147483648);
    }
    // for (int u = r; u - (r = u % bound) + m < 0; u = next(31)); (int overflow is the test)
    for (let u = r; ((u - (r = u % bound) + m) | 0) < 0; u = this.next31());
    return r;
  }

  /** Random.nextLong(): ((long) next(32) << 32) + next(32), as a bigint (it does not fit a double). */
  nextLong(): bigint {
    const a = this.next(32);
    const b = this.next(32);
    return BigInt.asIntN(64, (BigInt(a) << 32n) + BigInt(b));
  }

  /** Random.nextDouble(): (((long) next(26) << 27) + next(27)) * 2^-53. */
  nextDouble(): number {
    const a = this.next(26);
    const b = this.next(27);
    return (a * 134217728 + b) * DOUBLE_UNIT;
  }

  nextBoolean(): boolean {
    return this.next(1) !== 0;
  }
}
