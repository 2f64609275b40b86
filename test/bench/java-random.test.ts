// bench/nexmark/java-random.ts against java.util.Random: the values below were printed by
// OpenJDK 17's java.util.Random for these seeds (nextInt, nextInt(bound) across powers of two,
// small bounds and bounds that make the JDK's rejection loop run, nextLong, nextDouble,
// nextBoolean), plus a fingerprint of 600,000 mixed draws over 1,000 seeds and bounds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JavaRandom } from '../../bench/nexmark/java-random.js';

interface Known {
  seed: string;
  nextInt: number[];
  nextIntBound: [number, number][];
  nextLong: string[];
  nextDouble: number[];
  nextBoolean: boolean[];
}

const KNOWN: Known[] = [
  { seed: '0', nextInt: [-1155484576, -723955400, 1033096058, -1690734402, -1557280266], nextIntBound: [[1, 0], [2, 1], [10, 1], [13, 3], [26, 16], [1000, 77], [1024, 258], [10000, 7473], [1073741824, 658242131], [2147483647, 2114931095], [1500000001, 49567875]], nextLong: ['-1083761183081836303', '5072005423257391728', '2377732757510138102'], nextDouble: [0.14660165764651822, 0.023238122483889456, 0.5467397571984656], nextBoolean: [true, true, false, false] },
  { seed: '1', nextInt: [-1155869325, 431529176, 1761283695, 1749940626, 892128508], nextIntBound: [[1, 0], [2, 0], [10, 6], [13, 9], [26, 10], [1000, 569], [1024, 156], [10000, 317], [1073741824, 171345631], [2147483647, 2018345562], [1500000001, 1189861234]], nextLong: ['-974081879987450628', '-1160629452687687109', '7326573195622447256'], nextDouble: [0.34751802920311026, 0.29405703200403677, 0.5064836273262351], nextBoolean: [false, true, true, true] },
  { seed: '42', nextInt: [-1170105035, 234785527, -1360544799, 205897768, 1325939940], nextIntBound: [[1, 0], [2, 0], [10, 8], [13, 3], [26, 15], [1000, 182], [1024, 462], [10000, 5276], [1073741824, 409786146], [2147483647, 592164476], [1500000001, 1482678032]], nextLong: ['8552898714322622292', '-4004755535478349341', '-1488139573943419793'], nextDouble: [0.43649097442328655, 0.7499061812554475, 0.38656687435934867], nextBoolean: [false, false, true, false] },
  { seed: '-1', nextInt: [1155099827, 1887904451, 52699159, -1941176418, -1451336087], nextIntBound: [[1, 0], [2, 0], [10, 8], [13, 9], [26, 11], [1000, 808], [1024, 317], [10000, 4317], [1073741824, 74760098], [2147483647, 176890342], [1500000001, 1481972250]], nextLong: ['-5110998876361204119', '-8129419283323851490', '-7392936061318951838'], nextDouble: [0.9302456148602116, 0.6217126300259462, 0.23263624314841125], nextBoolean: [false, false, true, true] },
  { seed: '123456789012345', nextInt: [-1421006947, -2071311287, -583755257, -1678701992, -508698726], nextIntBound: [[1, 0], [2, 0], [10, 9], [13, 1], [26, 4], [1000, 823], [1024, 631], [10000, 5156], [1073741824, 73479384], [2147483647, 600863488], [1500000001, 1442513241]], nextLong: ['-6007590490744202600', '-6059919002218650048', '1792389284863968299'], nextDouble: [0.5984602937491751, 0.3079181190210132, 0.11473063900317004], nextBoolean: [true, false, true, false] },
  { seed: '-9223372036854775808', nextInt: [-1155484576, -723955400, 1033096058, -1690734402, -1557280266], nextIntBound: [[1, 0], [2, 1], [10, 1], [13, 3], [26, 16], [1000, 77], [1024, 258], [10000, 7473], [1073741824, 658242131], [2147483647, 2114931095], [1500000001, 49567875]], nextLong: ['-1083761183081836303', '5072005423257391728', '2377732757510138102'], nextDouble: [0.14660165764651822, 0.023238122483889456, 0.5467397571984656], nextBoolean: [true, true, false, false] },
  { seed: '9223372036854775807', nextInt: [1155099827, 1887904451, 52699159, -1941176418, -1451336087], nextIntBound: [[1, 0], [2, 0], [10, 8], [13, 9], [26, 11], [1000, 808], [1024, 317], [10000, 4317], [1073741824, 74760098], [2147483647, 176890342], [1500000001, 1481972250]], nextLong: ['-5110998876361204119', '-8129419283323851490', '-7392936061318951838'], nextDouble: [0.9302456148602116, 0.6217126300259462, 0.23263624314841125], nextBoolean: [false, false, true, true] },
  { seed: '25214903917', nextInt: [0, 4232237, 178803790, 758674372, 1565954732], nextIntBound: [[1, 0], [2, 0], [10, 1], [13, 9], [26, 4], [1000, 873], [1024, 851], [10000, 8121], [1073741824, 609949364], [2147483647, 1194203485], [1500000001, 109160704]], nextLong: ['-4297147640361543234', '4655215942749824611', '-2287749207360791467'], nextDouble: [0.9202609437023275, 0.8104294417563117, 0.8863144452961388], nextBoolean: [false, true, true, false] }
];

for (const k of KNOWN) {
  test(`java.util.Random(${k.seed}) sequence`, () => {
    const r = new JavaRandom(BigInt(k.seed));
    assert.deepEqual(
      k.nextInt.map(() => r.nextInt()),
      k.nextInt,
    );
    for (const [bound, v] of k.nextIntBound) assert.equal(r.nextIntBounded(bound), v, `nextInt(${bound})`);
    assert.deepEqual(
      k.nextLong.map(() => String(r.nextLong())),
      k.nextLong,
    );
    assert.deepEqual(
      k.nextDouble.map(() => r.nextDouble()),
      k.nextDouble,
    );
    assert.deepEqual(
      k.nextBoolean.map(() => r.nextBoolean()),
      k.nextBoolean,
    );
  });
}

test('number and bigint seeds agree; setSeed restarts the sequence', () => {
  for (const s of [0, 1, 42, 123456789012345, 2 ** 48 + 5, Number.MAX_SAFE_INTEGER]) {
    const a = new JavaRandom(s);
    const b = new JavaRandom(BigInt(s));
    for (let i = 0; i < 20; i++) assert.equal(a.nextInt(), b.nextInt(), `seed ${s}`);
    a.setSeed(s);
    b.setSeed(BigInt(s));
    assert.equal(a.nextIntBounded(1000), b.nextIntBounded(1000));
  }
  const r = new JavaRandom(42);
  r.nextInt();
  r.setSeed(42);
  assert.equal(r.nextInt(), -1170105035);
  // Negative number seeds take the bigint path (two's complement, as Java's long).
  assert.equal(new JavaRandom(-1).nextInt(), 1155099827);
});

test('nextInt(bound) rejects bad bounds as Java does', () => {
  const r = new JavaRandom(0);
  assert.throws(() => r.nextIntBounded(0), RangeError);
  assert.throws(() => r.nextIntBounded(-5), RangeError);
  assert.throws(() => r.nextIntBounded(2 ** 31), RangeError);
});

test('fingerprint of 600,000 mixed draws equals OpenJDK 17', () => {
  // Java (S.java): for s in 0..999: r = new Random(s * 1000003L); bound = 1 + (int)((s * 2654435761L) % 2147483647L);
  // 100 times: acc = acc*31 + nextInt(bound), nextInt(13), nextInt(), doubleToLongBits(nextDouble()),
  // nextBoolean() ? 1 : 0, nextLong()  (long arithmetic, wrapping).
  const f64 = new Float64Array(1);
  const i64 = new BigInt64Array(f64.buffer);
  let acc = 0n;
  const mix = (v: bigint): void => {
    acc = BigInt.asIntN(64, acc * 31n + v);
  };
  for (let s = 0; s < 1000; s++) {
    const r = new JavaRandom(s * 1000003);
    const bound = 1 + Number((BigInt(s) * 2654435761n) % 2147483647n);
    for (let i = 0; i < 100; i++) {
      mix(BigInt(r.nextIntBounded(bound)));
      mix(BigInt(r.nextIntBounded(13)));
      mix(BigInt(r.nextInt()));
      f64[0] = r.nextDouble();
      mix(i64[0]!);
      mix(r.nextBoolean() ? 1n : 0n);
      mix(r.nextLong());
    }
  }
  assert.equal(acc, 3956246426335596244n);
});
