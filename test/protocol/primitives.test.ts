// Reader/Writer primitives: known encodings, round trips, limits, chunked output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  InvalidFieldValueError,
  MalformedMessageError,
  Reader,
  Writer,
  ZERO_COPY_MIN_BYTES,
  uvarintSize,
} from '../../src/protocol/index.js';

function bytes(f: (w: Writer) => void, capacity?: number): Buffer {
  const w = new Writer(capacity);
  f(w);
  return w.toBuffer();
}

test('fixed-width integers are big-endian', () => {
  const b = bytes((w) => {
    w.int8(-2);
    w.int16(-2);
    w.uint16(0xfffe);
    w.int32(-2);
    w.uint32(0xfffffffe);
    w.int64(-2n);
    w.bool(true);
    w.float64(1.5);
  });
  assert.equal(b.toString('hex'), 'fe' + 'fffe' + 'fffe' + 'fffffffe' + 'fffffffe' + 'fffffffffffffffe' + '01' + '3ff8000000000000');
  const r = new Reader(b);
  assert.deepEqual(
    [r.int8(), r.int16(), r.uint16(), r.int32(), r.uint32(), r.int64(), r.bool(), r.float64()],
    [-2, -2, 0xfffe, -2, 0xfffffffe, -2n, true, 1.5],
  );
  assert.equal(r.remaining(), 0);
});

test('unsigned varints: known encodings and round trip', () => {
  const known: [number, string][] = [
    [0, '00'],
    [1, '01'],
    [127, '7f'],
    [128, '8001'],
    [300, 'ac02'],
    [16383, 'ff7f'],
    [16384, '808001'],
    [0x7fffffff, 'ffffffff07'],
    [0xffffffff, 'ffffffff0f'],
  ];
  for (const [v, hex] of known) {
    const b = bytes((w) => w.uvarint(v));
    assert.equal(b.toString('hex'), hex, String(v));
    assert.equal(uvarintSize(v), b.length);
    assert.equal(new Reader(b).uvarint(), v);
  }
  fc.assert(
    fc.property(fc.nat({ max: 0xffffffff }), (v) => {
      const b = bytes((w) => w.uvarint(v));
      const r = new Reader(b);
      assert.equal(r.uvarint(), v);
      assert.equal(r.remaining(), 0);
    }),
  );
  assert.throws(() => new Reader(Buffer.from('ffffffff10', 'hex')).uvarint(), MalformedMessageError);
  assert.throws(() => new Writer().uvarint(-1), InvalidFieldValueError);
});

test('zig-zag varint and varlong', () => {
  assert.equal(bytes((w) => w.varint(-1)).toString('hex'), '01');
  assert.equal(bytes((w) => w.varint(1)).toString('hex'), '02');
  assert.equal(bytes((w) => w.varint(-64)).toString('hex'), '7f');
  assert.equal(bytes((w) => w.varint(64)).toString('hex'), '8001');
  assert.equal(bytes((w) => w.varlong(-1n)).toString('hex'), '01');
  assert.equal(bytes((w) => w.varlong(-(2n ** 63n))).toString('hex'), 'ffffffffffffffffff01');
  fc.assert(
    fc.property(fc.integer(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (a, b) => {
      const buf = bytes((w) => {
        w.varint(a);
        w.varlong(b);
      });
      const r = new Reader(buf);
      assert.equal(r.varint(), a);
      assert.equal(r.varlong(), b);
      assert.equal(r.remaining(), 0);
    }),
  );
  assert.throws(() => new Reader(Buffer.alloc(11, 0xff)).varlong(), MalformedMessageError);
});

test('uuids use Kafka text form (URL-safe base64, 22 chars)', () => {
  const raw = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  const text = raw.toString('base64url');
  assert.equal(text.length, 22);
  const b = bytes((w) => w.uuid(text));
  assert.ok(b.equals(raw));
  assert.equal(new Reader(b).uuid(), text);
  for (const badUuid of ['', 'AAAA', 'AAAAAAAAAAAAAAAAAAAAA+', 'AAAAAAAAAAAAAAAAAAAAAB', 'AAAAAAAAAAAAAAAAAAAAAAAA']) {
    assert.throws(() => new Writer().uuid(badUuid), InvalidFieldValueError, badUuid);
  }
});

test('strings: every encoding, multi-byte text, both sides of the one-byte prefix limit', () => {
  const samples = ['', 'a', 'héllo wörld', '日本語のトピック', '🦀'.repeat(10), 'x'.repeat(42), 'é'.repeat(42), 'x'.repeat(43), 'é'.repeat(64), 'y'.repeat(20000)];
  for (const s of samples) {
    const len = Buffer.byteLength(s);
    const b = bytes((w) => {
      w.string(s);
      w.nullableString(s);
      w.compactString(s);
      w.compactNullableString(s);
    });
    const r = new Reader(b);
    assert.equal(r.string(), s);
    assert.equal(r.nullableString(), s);
    assert.equal(r.compactString(), s);
    assert.equal(r.compactNullableString(), s);
    assert.equal(r.remaining(), 0);
    assert.equal(b.length, 2 + len + 2 + len + 2 * (uvarintSize(len + 1) + len));
    assert.equal(b.readInt16BE(0), len);
  }
  const nulls = bytes((w) => {
    w.nullableString(null);
    w.compactNullableString(null);
  });
  assert.equal(nulls.toString('hex'), 'ffff00');
  const r = new Reader(nulls);
  assert.equal(r.nullableString(), null);
  assert.equal(r.compactNullableString(), null);
  assert.throws(() => new Writer().string('z'.repeat(32768)), InvalidFieldValueError);
  assert.throws(() => new Writer().compactString('é'.repeat(20000)), InvalidFieldValueError);
  assert.throws(() => new Writer().string(null), InvalidFieldValueError);
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), fc.constantFrom(8, 4096), (s, cap) => {
      const b = bytes((w) => {
        w.compactString(s);
        w.string(s);
      }, cap);
      const rr = new Reader(b);
      assert.equal(rr.compactString(), s);
      assert.equal(rr.string(), s);
    }),
  );
});

test('bytes are views of the input, not copies', () => {
  const b = bytes((w) => {
    w.bytes(Buffer.from('abc'));
    w.compactNullableBytes(Buffer.from('de'));
    w.nullableBytes(null);
    w.compactNullableBytes(null);
  });
  assert.equal(b.toString('hex'), '00000003616263' + '036465' + 'ffffffff' + '00');
  const r = new Reader(b);
  const v = r.bytes();
  assert.equal(v.toString(), 'abc');
  assert.equal(v.buffer, b.buffer);
  assert.equal(r.compactNullableBytes()!.toString(), 'de');
  assert.equal(r.nullableBytes(), null);
  assert.equal(r.compactNullableBytes(), null);
});

test('integers out of range are InvalidFieldValueError, not RangeError', () => {
  const w = new Writer();
  for (const f of [
    () => w.int8(128),
    () => w.int16(40000),
    () => w.uint16(-1),
    () => w.int32(2 ** 31),
    () => w.int32(1.5),
    () => w.uint32(-1),
    () => w.int64(2n ** 63n),
    () => w.int64(1 as never),
  ]) {
    assert.throws(f, InvalidFieldValueError);
  }
});

test('the writer grows, cuts chunks, and passes large values through without copying', () => {
  const big = Buffer.alloc(ZERO_COPY_MIN_BYTES + 10, 7);
  const w = new Writer(16, true);
  w.int32(1);
  w.compactString('x'.repeat(100)); // forces a grow: the first 16 bytes become a chunk
  w.bytes(big);
  w.int16(2);
  const chunks = w.finish();
  assert.ok(chunks.length >= 3);
  assert.ok(chunks.includes(big), 'large value is its own chunk');
  const all = Buffer.concat(chunks);
  assert.equal(all.length, w.length);
  assert.equal(all.readInt32BE(0), all.length - 4, 'frame size prefix');
  const r = new Reader(all, 4);
  assert.equal(r.int32(), 1);
  assert.equal(r.compactString(), 'x'.repeat(100));
  assert.ok(r.bytes().equals(big));
  assert.equal(r.int16(), 2);
  assert.equal(r.remaining(), 0);
});

test('tagged fields: size patched in place, moved when it needs more than one byte, across a grow', () => {
  for (const n of [0, 1, 126, 127, 128, 300, 20000]) {
    for (const cap of [8, 64, 65536]) {
      const w = new Writer(cap);
      w.int8(5);
      const m = w.beginTaggedField(3);
      w.raw(Buffer.alloc(n, 9)); // inside a tagged field even large values are copied (size must be known)
      w.endTaggedField(m);
      w.int8(6);
      const chunks = w.finish();
      const b = Buffer.concat(chunks);
      const r = new Reader(b);
      assert.equal(r.int8(), 5);
      assert.equal(r.uvarint(), 3);
      assert.equal(r.uvarint(), n);
      assert.ok(b.subarray(r.pos, r.pos + n).equals(Buffer.alloc(n, 9)));
      r.skip(n);
      assert.equal(r.int8(), 6);
      assert.equal(r.remaining(), 0);
    }
  }
});

test('array counts are checked against the bytes left before anything is built', () => {
  assert.throws(() => new Reader(Buffer.from('00000002' + '0000', 'hex')).arrayLength(4), MalformedMessageError);
  assert.equal(new Reader(Buffer.from('00000002' + '00000000', 'hex')).arrayLength(2), 2);
  assert.equal(new Reader(Buffer.from('ffffffff', 'hex')).arrayLength(1), -1);
  assert.equal(new Reader(Buffer.from('00', 'hex')).compactArrayLength(1), -1);
  assert.throws(() => new Reader(Buffer.from('05' + '00', 'hex')).compactArrayLength(1), MalformedMessageError);
});
