import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { TributaryError, murmur2, partitionForKey, toPositive } from '../../src/records/index.js';

test("murmur2 matches Kafka's UtilsTest.testMurmur2 values", () => {
  // org.apache.kafka.common.utils.UtilsTest#testMurmur2
  const cases: [Buffer, number][] = [
    [Buffer.from('21'), -973932308],
    [Buffer.from('foobar'), -790332482],
    [Buffer.from('a-little-bit-long-string'), -985981536],
    [Buffer.from('a-little-bit-longer-string'), -1486304829],
    [Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'), -58897971],
    [Buffer.from([0x61, 0x62, 0x63]), 479470107],
  ];
  for (const [key, hash] of cases) assert.equal(murmur2(key), hash, key.toString());
});

test('murmur2 matches the values other Java-compatible ports publish', () => {
  // Akka's Murmur2Spec, checked against Kafka's implementation
  const cases: [string, number][] = [
    ['1', -1993445489],
    ['12', 126087238],
    ['123', -267702483],
    ['1234', -1614185708],
    ['12345', -1188365604],
  ];
  for (const [key, hash] of cases) assert.equal(murmur2(Buffer.from(key)), hash, key);
  // empty key: the value kafkajs's Java-compatible murmur2 also gives
  assert.equal(murmur2(new Uint8Array(0)), 275646681);
});

test('toPositive clears the sign bit as Java does (not Math.abs)', () => {
  assert.equal(toPositive(-1), 0x7fffffff);
  assert.equal(toPositive(-2147483648), 0);
  assert.equal(toPositive(5), 5);
  assert.equal(toPositive(-973932308), -973932308 & 0x7fffffff);
});

interface KafkajsPartitionerArgs {
  topic: string;
  partitionMetadata: { partitionId: number; leader: number }[];
  message: { key: Buffer; value: Buffer | null };
}
type KafkajsPartitioner = (args: KafkajsPartitionerArgs) => number;

test('partitionForKey picks what kafkajs 2.2.4 DefaultPartitioner (Java-compatible) picks', () => {
  const require = createRequire(import.meta.url);
  const kafkajs = require('kafkajs') as { Partitioners: { DefaultPartitioner: () => KafkajsPartitioner } };
  const partitioner = kafkajs.Partitioners.DefaultPartitioner();
  let compared = 0;
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 1, max: 1000 }), (bytes, n) => {
      const key = Buffer.from(bytes);
      const partitionMetadata = Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: 0 }));
      const theirs = partitioner({ topic: 't', partitionMetadata, message: { key, value: null } });
      assert.equal(partitionForKey(key, n), theirs);
      compared++;
    }),
    { numRuns: 5000 },
  );
  assert.equal(compared, 5000);
  // and on the murmur2 of string keys, where kafkajs hashes the UTF-8 bytes
  for (const s of ['', 'a', 'ab', 'abc', 'abcd', 'user-42', 'ключ', '鍵🔑']) {
    const partitionMetadata = Array.from({ length: 12 }, (_, i) => ({ partitionId: i, leader: 0 }));
    assert.equal(partitionForKey(Buffer.from(s), 12), partitioner({ topic: 't', partitionMetadata, message: { key: Buffer.from(s), value: null } }));
  }
});

test('partition counts must be positive integers', () => {
  for (const n of [0, -1, 1.5, Number.NaN]) {
    assert.throws(() => partitionForKey(Buffer.from('k'), n), (e: unknown) => e instanceof TributaryError && e.code === 'INVALID_PARTITIONS');
  }
  assert.equal(partitionForKey(Buffer.from('k'), 1), 0);
});
