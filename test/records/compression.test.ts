import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import lz4 from 'lz4-napi';
import snappy from 'snappy';
import { Compressor as ZstdCompressor } from 'zstd-napi';
import {
  COMPRESSION_CODECS,
  compress,
  compressionFromId,
  compressionId,
  decompress,
  isXerialFramed,
  type Compression,
} from '../../src/records/compression/index.js';
import { CorruptRecordError, UnsupportedCompressionError } from '../../src/records/errors.js';
import { xxh32 } from './helpers/xxh32.js';

const CODECS: Compression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const PACKED: Compression[] = ['gzip', 'snappy', 'lz4', 'zstd'];

test('codec ids are Kafka attribute values 0..4', () => {
  assert.deepEqual(CODECS.map(compressionId), [0, 1, 2, 3, 4]);
  assert.deepEqual([0, 1, 2, 3, 4].map(compressionFromId), CODECS);
  assert.deepEqual(COMPRESSION_CODECS, CODECS);
  for (const id of [5, 6, 7, -1, 8]) {
    assert.throws(() => compressionFromId(id), UnsupportedCompressionError);
    assert.throws(() => decompress(id, Buffer.from('x')), (e: unknown) => e instanceof UnsupportedCompressionError && e.code === 'UNSUPPORTED_COMPRESSION_TYPE');
    assert.throws(() => compress(id, Buffer.from('x')), UnsupportedCompressionError);
  }
});

test('every codec round-trips random data (also by numeric id)', () => {
  fc.assert(
    fc.property(fc.constantFrom(...CODECS), fc.uint8Array({ maxLength: 5000 }), fc.boolean(), (codec, bytes, byId) => {
      const data = Buffer.from(bytes);
      const c = byId ? compressionId(codec) : codec;
      const packed = compress(c, data);
      const back = decompress(c, packed);
      assert.deepEqual(back, data);
    }),
    { numRuns: 300 },
  );
});

test('every codec round-trips empty, repetitive and 1 MiB inputs', () => {
  const big = Buffer.alloc(1 << 20);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;
  for (const codec of PACKED) {
    for (const data of [Buffer.alloc(0), Buffer.from('abc'.repeat(10000)), big]) {
      const packed = compress(codec, data);
      assert.ok(data.length < 100 || packed.length < data.length, `${codec} should shrink ${data.length} bytes`);
      assert.deepEqual(decompress(codec, packed), data, `${codec} ${data.length}`);
    }
  }
  // levels reach the codec
  const text = Buffer.from('the quick brown fox jumps over the lazy dog '.repeat(2000));
  assert.ok(compress('gzip', text, 1).length >= compress('gzip', text, 9).length);
  assert.deepEqual(decompress('zstd', compress('zstd', text, 19)), text);
});

test('lz4 writes the LZ4 frame format with the header Kafka and librdkafka write', () => {
  const out = compress('lz4', Buffer.from('hello hello hello hello'));
  assert.deepEqual(out.subarray(0, 4), Buffer.from([0x04, 0x22, 0x4d, 0x18]), 'frame magic');
  // FLG: version 01, block independence, no block checksum, no content size, no content checksum
  assert.equal(out[4], 0x60);
  // BD: 64 KiB maximum block size
  assert.equal(out[5], 0x40);
  // EndMark
  assert.deepEqual(out.subarray(out.length - 4), Buffer.from([0, 0, 0, 0]));
});

test('lz4 reads frames with block and content checksums too', () => {
  const data = Buffer.from('checksummed '.repeat(1000));
  const framed = lz4.compressFrameSync(data, { contentChecksum: true, blockChecksums: true });
  assert.notEqual(framed[4], 0x60);
  assert.deepEqual(decompress('lz4', framed), data);
});

test('snappy: raw blocks are written; xerial-framed input (Java producers) is detected and read', () => {
  const a = Buffer.from('first block '.repeat(300));
  const b = Buffer.from('second block, different '.repeat(200));
  const raw = compress('snappy', a);
  assert.equal(isXerialFramed(raw), false);
  assert.deepEqual(snappy.uncompressSync(raw, { asBuffer: true }), a, 'we write plain raw snappy');

  // snappy-java's SnappyOutputStream layout: magic, version 1, compatible version 1, then
  // (int32 length, raw block)*.
  const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
  const blockA = snappy.compressSync(a);
  const blockB = snappy.compressSync(b);
  const len = (n: number) => {
    const l = Buffer.alloc(4);
    l.writeInt32BE(n);
    return l;
  };
  const xerial = Buffer.concat([header, len(blockA.length), blockA, len(blockB.length), blockB]);
  assert.equal(isXerialFramed(xerial), true);
  assert.deepEqual(decompress('snappy', xerial), Buffer.concat([a, b]));
  // header only: no blocks, empty output
  assert.deepEqual(decompress('snappy', header), Buffer.alloc(0));
  // a block length running past the data, or a cut-off length, is corrupt
  assert.throws(() => decompress('snappy', xerial.subarray(0, xerial.length - 3)), CorruptRecordError);
  assert.throws(() => decompress('snappy', Buffer.concat([header, Buffer.from([0, 0])])), CorruptRecordError);
});

test('zstd reads frames without a content size (as zstd-jni streams write) and concatenated frames', () => {
  const data = Buffer.from('zstd streaming '.repeat(20000));
  const c = new ZstdCompressor();
  c.setParameters({ contentSizeFlag: false });
  const noSize = c.compress(data);
  assert.deepEqual(decompress('zstd', noSize), data);
  const two = Buffer.concat([compress('zstd', data.subarray(0, 1000)), compress('zstd', data.subarray(1000))]);
  assert.deepEqual(decompress('zstd', two), data);
});

test('gzip reads multi-member streams', () => {
  const two = Buffer.concat([gzipSync(Buffer.from('one ')), gzipSync(Buffer.from('two'))]);
  assert.equal(decompress('gzip', two).toString(), 'one two');
});

test('corrupt or truncated compressed data is CorruptRecordError with the codec error as cause', () => {
  const data = Buffer.from('some data that compresses, some data that compresses, some data '.repeat(50));
  for (const codec of PACKED) {
    const packed = compress(codec, data);
    const cases: [string, Buffer][] = [
      ['garbage', Buffer.from('this is not compressed at all, not in any format')],
      ['truncated', packed.subarray(0, Math.floor(packed.length / 2))],
      ['empty', Buffer.alloc(0)],
    ];
    for (const [what, bad] of cases) {
      assert.throws(
        () => decompress(codec, bad),
        (e: unknown) =>
          e instanceof CorruptRecordError && e.code === 'CORRUPT_MESSAGE' && e.message.includes(codec) && e.cause !== undefined,
        `${codec} ${what}`,
      );
    }
  }
});

test('decompression output is capped (decompression bombs)', () => {
  const zeros = Buffer.alloc(4 << 20);
  for (const codec of PACKED) {
    const packed = compress(codec, zeros);
    assert.ok(packed.length < zeros.length / 10, `${codec} packs zeros`);
    assert.throws(() => decompress(codec, packed, 1 << 20), CorruptRecordError, codec);
    assert.equal(decompress(codec, packed, 4 << 20).length, 4 << 20, `${codec} at exactly the limit`);
  }
  // zstd without a declared size goes through the streaming path and is capped there too
  const c = new ZstdCompressor();
  c.setParameters({ contentSizeFlag: false });
  assert.throws(() => decompress('zstd', c.compress(zeros), 1 << 20), CorruptRecordError);
});

/** A hand-made LZ4 frame: descriptor bytes, then (compressed?, data) blocks, then the end mark. */
function lz4Frame(flg: number, bd: number, blocks: { data: Buffer; raw?: boolean }[], opts: { contentSize?: number; checksums?: boolean } = {}): Buffer {
  const desc = Buffer.from([flg, bd]);
  const cs = Buffer.alloc(opts.contentSize === undefined ? 0 : 8);
  if (opts.contentSize !== undefined) cs.writeBigUInt64LE(BigInt(opts.contentSize));
  const hcInput = Buffer.concat([desc, cs]);
  const parts: Buffer[] = [Buffer.from([0x04, 0x22, 0x4d, 0x18]), hcInput, Buffer.from([(xxh32(hcInput) >>> 8) & 0xff])];
  for (const b of blocks) {
    const body = b.raw === true ? b.data : lz4.compressSync(b.data).subarray(4);
    const size = Buffer.alloc(4);
    size.writeUInt32LE((body.length | (b.raw === true ? 0x80000000 : 0)) >>> 0);
    parts.push(size, body);
    if (opts.checksums === true) {
      const c = Buffer.alloc(4);
      c.writeUInt32LE(xxh32(body));
      parts.push(c);
    }
  }
  parts.push(Buffer.alloc(4));
  if (opts.checksums === true) {
    const c = Buffer.alloc(4);
    c.writeUInt32LE(xxh32(Buffer.concat(blocks.map((b) => b.data))));
    parts.push(c);
  }
  return Buffer.concat(parts);
}

test('lz4 frames: ours decode with lz4_flex, and every frame variant a client may send decodes with ours', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200_000 }), fc.boolean(), (bytes, repetitive) => {
      const data = repetitive ? Buffer.from(bytes.map((b) => b & 0x03)) : Buffer.from(bytes);
      const ours = compress('lz4', data);
      assert.deepEqual(lz4.decompressFrameSync(ours), data, 'lz4_flex reads our frames');
      assert.deepEqual(decompress('lz4', lz4.compressFrameSync(data)), data, 'we read lz4_flex frames');
      assert.deepEqual(decompress('lz4', ours), data);
    }),
    { numRuns: 40 },
  );
  const a = Buffer.from('block one, block one, block one. '.repeat(100));
  const b = Buffer.from('block two is stored raw');
  // hand-made frames are checked against lz4_flex first, so they are known to be valid frames
  const variants: [string, Buffer][] = [
    ['independent, raw block', lz4Frame(0x60, 0x40, [{ data: a }, { data: b, raw: true }])],
    ['content size', lz4Frame(0x68, 0x40, [{ data: a }, { data: b }], { contentSize: a.length + b.length })],
    ['block and content checksums', lz4Frame(0x74, 0x70, [{ data: a }, { data: b }], { checksums: true })],
    ['linked blocks (lz4_flex fallback)', lz4Frame(0x40, 0x40, [{ data: a }, { data: b }])],
  ];
  for (const [what, frame] of variants) {
    assert.deepEqual(lz4.decompressFrameSync(frame), Buffer.concat([a, b]), `lz4_flex: ${what}`);
    assert.deepEqual(decompress('lz4', frame), Buffer.concat([a, b]), what);
  }
  // concatenated frames, and a skippable frame between them
  const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9]);
  assert.deepEqual(decompress('lz4', Buffer.concat([compress('lz4', a), skippable, compress('lz4', b)])), Buffer.concat([a, b]));
  // a stored block in the output is a copy, not a view of the input
  const raw = lz4Frame(0x60, 0x40, [{ data: b, raw: true }]);
  const out = decompress('lz4', raw);
  raw.fill(0);
  assert.equal(out.toString(), 'block two is stored raw');
});

test('lz4 frames that break the format are CorruptRecordError', () => {
  const a = Buffer.from('x'.repeat(1000));
  const big = Buffer.alloc(70_000, 1);
  const cases: [string, Buffer][] = [
    ['bad magic', Buffer.concat([Buffer.from([0x05, 0x22, 0x4d, 0x18]), compress('lz4', a).subarray(4)])],
    ['version 0', lz4Frame(0x20, 0x40, [{ data: a }])],
    ['reserved FLG bit', lz4Frame(0x62, 0x40, [{ data: a }])],
    ['reserved BD bits', lz4Frame(0x60, 0x41, [{ data: a }])],
    ['block size id 3', lz4Frame(0x60, 0x30, [{ data: a }])],
    ['dictionary id', lz4Frame(0x61, 0x40, [{ data: a }])],
    ['stored block larger than the block size', lz4Frame(0x60, 0x40, [{ data: big, raw: true }])],
    ['compressed block inflating past the block size', lz4Frame(0x60, 0x40, [{ data: big }])],
    ['no end mark', compress('lz4', a).subarray(0, -4)],
    ['content checksum flagged but missing', lz4Frame(0x64, 0x40, [{ data: a }])],
  ];
  for (const [what, frame] of cases) {
    assert.throws(() => decompress('lz4', frame), CorruptRecordError, what);
  }
});
