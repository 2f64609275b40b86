// Malformed input: truncated frames, hostile lengths and counts, unknown versions and api keys.
// Every failure must be a typed ProtocolError with a Kafka code: never a RangeError, never an
// allocation sized by an unchecked length.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeRequestFrame,
  decodeResponseFrame,
  decodeRequestFrameBody,
  readRequestFrameHeader,
  encodeApiVersionsFallbackResponse,
  encodeRequestFrame,
  frameSize,
  apiSpec,
  MalformedMessageError,
  ProtocolError,
  UnknownApiKeyError,
  UnsupportedVersionError,
  Reader,
  Writer,
  type RequestApiKey,
} from '../../src/protocol/index.js';
import { vectorBytes, vectorIndex } from './helpers.js';

function isTyped(code: string, errorCode: number) {
  return (e: unknown): boolean => {
    if (!(e instanceof ProtocolError)) {
      assert.fail(`expected a ProtocolError, got ${String(e)}`);
    }
    assert.equal(e.code as string, code, e.message);
    assert.equal(e.errorCode, errorCode);
    return true;
  };
}

const SAMPLES = [
  'c01-req-api0-v7-corr4.bin', // Produce v7 (records)
  'c01-req-api18-v3-corr1.bin', // ApiVersions v3 (flexible, header v2)
  'c10-req-api11-v2-corr1.bin', // JoinGroup v2 (bytes)
  'c06-req-api1-v11-corr6.bin', // Fetch v11
  'c14-req-api24-v0-corr5.bin', // AddPartitionsToTxn v0
];
const RESPONSE_SAMPLES = [
  'c06-resp-api1-v11-corr6.bin', // Fetch v11 (records)
  'c01-resp-api3-v2-corr3.bin', // Metadata v2
  'c01-resp-api18-v0-corr2.bin', // ApiVersions v0
];

test('a request truncated at every length is INVALID_REQUEST', () => {
  for (const file of SAMPLES) {
    const frame = vectorBytes(file).subarray(4);
    decodeRequestFrame(frame); // the whole frame decodes
    for (let len = 0; len < frame.length; len++) {
      assert.throws(() => decodeRequestFrame(frame.subarray(0, len)), isTyped('INVALID_REQUEST', 42), `${file} cut at ${len}`);
    }
  }
});

test('a response truncated at every length is CORRUPT_MESSAGE', () => {
  const index = vectorIndex();
  for (const file of RESPONSE_SAMPLES) {
    const e = index.find((x) => x.file === file)!;
    const frame = vectorBytes(file).subarray(4);
    decodeResponseFrame(frame, e.api_key as RequestApiKey, e.api_version);
    for (let len = 0; len < frame.length; len++) {
      assert.throws(
        () => decodeResponseFrame(frame.subarray(0, len), e.api_key as RequestApiKey, e.api_version),
        isTyped('CORRUPT_MESSAGE', 2),
        `${file} cut at ${len}`,
      );
    }
  }
});

test('bytes left over after a request body are INVALID_REQUEST', () => {
  const frame = vectorBytes('c10-req-api12-v1-corr4.bin').subarray(4);
  assert.throws(() => decodeRequestFrame(Buffer.concat([frame, Buffer.from([0])])), isTyped('INVALID_REQUEST', 42));
});

/** A request frame (no size prefix) with header v1 for api key/version and the given body bytes. */
function frame(apiKey: number, apiVersion: number, body: Buffer, flexible = false): Buffer {
  const w = new Writer();
  w.int16(apiKey);
  w.int16(apiVersion);
  w.int32(7);
  w.nullableString('c');
  if (flexible) w.uvarint(0);
  return Buffer.concat([w.toBuffer(), body]);
}

test('huge declared lengths and counts fail before anything is allocated', () => {
  const cases: [string, Buffer][] = [
    // Produce v3: transactionalId length 0x7fff with 2 bytes behind it
    ['string length past the end', frame(0, 3, Buffer.from('7fff4142', 'hex'))],
    // Produce v3: null transactional id, acks, timeout, then topic count 2^31-1
    ['array count 2^31-1', frame(0, 3, Buffer.from('ffff' + '0001' + '00000001' + '7fffffff', 'hex'))],
    // Produce v3, one topic "t", one partition, records length 2^31-1
    ['records length 2^31-1', frame(0, 3, Buffer.from('ffff000100000001' + '00000001' + '000174' + '00000001' + '00000000' + '7fffffff' + '00', 'hex'))],
    // Produce v9 (flexible): compact topic count 0xffffffff (largest uvarint)
    ['compact array count 2^32-2', frame(0, 9, Buffer.from('00' + '0001' + '00000001' + 'ffffffff0f', 'hex'), true)],
    // Produce v9: compact string length 2^28
    ['compact string length 2^28', frame(0, 9, Buffer.from('8080808001', 'hex'), true)],
    // Produce v9: a varint longer than 5 bytes
    ['unsigned varint too long', frame(0, 9, Buffer.from('ffffffffff01', 'hex'), true)],
    // Produce v3: topic count 1000 with 10 bytes: more elements than could fit (each needs 6+ bytes)
    ['array count above the bytes left', frame(0, 3, Buffer.from('ffff000100000001' + '000003e8' + '00'.repeat(10), 'hex'))],
    // Metadata v4: negative topic count other than -1 is null (Kafka reads any negative as null), but a
    // non-nullable array: JoinGroup v0 protocols count -1
    ['null in a non-nullable array', frame(11, 0, Buffer.from('0001' + '67' + '00000001' + '0000' + '0001' + '63' + 'ffffffff', 'hex'))],
    // Heartbeat v0: group id length -1 (not nullable)
    ['null in a non-nullable string', frame(12, 0, Buffer.from('ffff' + '00000001' + '0000', 'hex'))],
    // Heartbeat v0: group id length -2
    ['negative string length', frame(12, 0, Buffer.from('fffe' + '00000001' + '0000', 'hex'))],
    // SaslAuthenticate v0: bytes length -1 (not nullable)
    ['null in non-nullable bytes', frame(36, 0, Buffer.from('ffffffff', 'hex'))],
    // SaslAuthenticate v0: bytes length 2^31-1
    ['bytes length 2^31-1', frame(36, 0, Buffer.from('7fffffff00', 'hex'))],
    // ApiVersions v3: tagged field section announcing a 2^20-byte field
    ['tagged field size past the end', frame(18, 3, Buffer.from('0261' + '0262' + '01' + '05' + '808040', 'hex'), true)],
  ];
  for (const [name, f] of cases) {
    const before = process.memoryUsage().arrayBuffers;
    assert.throws(() => decodeRequestFrame(f), isTyped('INVALID_REQUEST', 42), name);
    assert.ok(process.memoryUsage().arrayBuffers - before < 1 << 20, `${name}: allocated`);
  }
});

test('header: unknown api version is UNSUPPORTED_VERSION, unknown api key INVALID_REQUEST', () => {
  // Produce v99
  const f = frame(0, 99, Buffer.alloc(16), true);
  const { header, r } = readRequestFrameHeader(f);
  assert.equal(header.apiVersion, 99);
  assert.equal(header.clientId, 'c');
  assert.throws(
    () => decodeRequestFrameBody(header, r),
    (e: unknown) => e instanceof UnsupportedVersionError && e.apiKey === 0 && e.apiVersion === 99 && e.errorCode === 35,
  );
  assert.throws(() => decodeRequestFrame(frame(0, -1, Buffer.alloc(16))), UnsupportedVersionError);
  assert.throws(() => decodeRequestFrame(frame(1000, 0, Buffer.alloc(16))), (e: unknown) => e instanceof UnknownApiKeyError && e.errorCode === 42);
  assert.throws(() => decodeRequestFrame(frame(-5, 0, Buffer.alloc(16))), UnknownApiKeyError);
});

test('an ApiVersions request of a future version: header readable, answered with a v0 UNSUPPORTED_VERSION response', () => {
  // A client sends its highest ApiVersions version (here 9, header v2 with a tagged field) with an unknown body.
  const w = new Writer(64, true);
  w.int16(18);
  w.int16(9);
  w.int32(1234);
  w.nullableString('future-client');
  w.uvarint(1); // one tagged field in the header
  w.uvarint(5);
  w.uvarint(2);
  w.int16(77);
  w.raw(Buffer.from('future body'));
  const full = w.toBuffer();
  assert.equal(frameSize(full), full.length - 4);
  const { header, r } = readRequestFrameHeader(full.subarray(4));
  assert.deepEqual(header, { apiKey: 18, apiVersion: 9, correlationId: 1234, clientId: 'future-client' });
  assert.throws(() => decodeRequestFrameBody(header, r), UnsupportedVersionError);

  const spec = apiSpec(18)!;
  const answer = encodeApiVersionsFallbackResponse(header.correlationId, spec);
  // size, correlation id, error 35, array of 1: (18, 0, 4), throttle time absent (v0)
  assert.equal(answer.toString('hex'), '00000010' + '000004d2' + '0023' + '00000001' + '0012' + '0000' + '0004');
  const decoded = decodeResponseFrame(answer.subarray(4), 18, 0);
  assert.equal(decoded.body.errorCode, 35);
  // A client that sent v3 and parses the answer as v3 falls back to v0, as Kafka's client does.
  const asV3 = decodeResponseFrame(answer.subarray(4), 18, 3);
  assert.deepEqual(asV3.body.apiKeys, [{ apiKey: 18, minVersion: 0, maxVersion: 4 }]);
});

test('frame size prefix: negative or above the limit is INVALID_REQUEST', () => {
  assert.equal(frameSize(Buffer.from([0, 0, 0])), -1);
  assert.equal(frameSize(Buffer.from([0, 0, 1, 0])), 256);
  assert.throws(() => frameSize(Buffer.from('ffffffff', 'hex')), isTyped('INVALID_REQUEST', 42));
  assert.throws(() => frameSize(Buffer.from('7fffffff', 'hex')), MalformedMessageError);
  assert.throws(() => frameSize(Buffer.from('00001000', 'hex'), 0, 100), MalformedMessageError);
});

test('random corruption of real frames: decodes, or fails with a ProtocolError', () => {
  const frames = vectorIndex()
    .filter((e) => e.dir === 'request')
    .map((e) => vectorBytes(e.file).subarray(4));
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: frames.length - 1 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      (i, edits) => {
        const f = Buffer.from(frames[i]!);
        for (const [at, byte] of edits) f[at % f.length] = byte;
        try {
          const req = decodeRequestFrame(f);
          // whatever decoded re-encodes (the header may now be another api, so only check it does not throw)
          encodeRequestFrame(req.header as never, req.body as never);
        } catch (e) {
          if (!(e instanceof ProtocolError)) throw e;
        }
      },
    ),
    { numRuns: 3000 },
  );
});

test('reader never throws RangeError on short input, whatever method', () => {
  const methods = [
    'bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'uuid', 'uvarint', 'varint', 'varlong',
    'string', 'nullableString', 'compactString', 'compactNullableString', 'bytes', 'nullableBytes', 'compactBytes',
    'compactNullableBytes', 'skipTaggedFields',
  ] as const;
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 12 }), fc.constantFrom(...methods), (bytes, m) => {
      const r = new Reader(Buffer.from(bytes));
      try {
        (r[m] as () => unknown)();
      } catch (e) {
        assert.ok(e instanceof MalformedMessageError, `${m}: ${String(e)}`);
      }
    }),
    { numRuns: 2000 },
  );
});
