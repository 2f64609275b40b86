// Property tests: for every message and every valid version, decode(encode(x)) deep-equals x, where
// x is drawn by an arbitrary built here from the JSON schema (the test interprets the schema; the
// codecs under test never do). Fields absent from the version are set to the spec's defaults,
// which is what the decoder must produce.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as protocol from '../../src/protocol/index.js';
import { Reader, Writer, UnsupportedVersionError } from '../../src/protocol/index.js';
import { inRange, loadSpecs, type FType, type Field, type MessageSpec } from '../../scripts/generate-protocol.js';
import { SPECS_DIR } from './helpers.js';

const specs = loadSpecs(SPECS_DIR);
const RUNS = Number(process.env.PROTOCOL_FC_RUNS ?? 25);

type Codec = {
  decode: (r: Reader, v: number) => unknown;
  encode: (w: Writer, v: number, d: unknown) => void;
};

function codec(spec: MessageSpec): Codec {
  const mod = protocol as unknown as Record<string, unknown>;
  const decode = mod[`decode${spec.name}`];
  const encode = mod[`encode${spec.name}`];
  assert.equal(typeof decode, 'function', `decode${spec.name} is exported`);
  assert.equal(typeof encode, 'function', `encode${spec.name} is exported`);
  return { decode, encode } as Codec;
}

class Schema {
  readonly structs = new Map<string, Field[]>();
  constructor(readonly spec: MessageSpec) {
    const walk = (fields: Field[]): void => {
      for (const f of fields) {
        const sn = structOf(f.type);
        if (sn !== null && f.fields !== null) {
          this.structs.set(sn, f.fields);
          walk(f.fields);
        }
      }
    };
    walk(spec.fields);
    for (const cs of spec.commonStructs) {
      this.structs.set(cs.name, cs.fields);
      walk(cs.fields);
    }
  }

  flexible(f: Field, v: number): boolean {
    return f.flexibleOverride !== undefined ? inRange(f.flexibleOverride, v) : inRange(this.spec.flexible, v);
  }

  /** The value a decoder must produce for a field absent from the version. */
  defaultValue(f: Field): unknown {
    if (f.default === 'null') return null;
    const t = f.type;
    if (t.kind === 'array') return [];
    if (t.kind === 'struct') return this.defaultStruct(t.name);
    const d = f.default ?? '';
    switch (t.name) {
      case 'bool':
        return d.toLowerCase() === 'true';
      case 'int64':
        return d === '' ? 0n : d.startsWith('0x') ? BigInt(d) : BigInt(d);
      case 'float64':
        return d === '' ? 0 : Number(d);
      case 'uuid':
        return d === '' ? 'AAAAAAAAAAAAAAAAAAAAAA' : d;
      case 'string':
        return d;
      case 'bytes':
        return Buffer.alloc(0);
      case 'records':
        return null;
      default:
        return d === '' ? 0 : Number(d);
    }
  }

  defaultStruct(name: string): Record<string, unknown> {
    const o: Record<string, unknown> = {};
    for (const f of this.fields(name)) o[prop(f)] = this.defaultValue(f);
    return o;
  }

  fields(name: string): Field[] {
    const fs = this.structs.get(name);
    assert.ok(fs, `struct ${name}`);
    return fs;
  }

  structArb(fields: Field[], v: number, depth: number): fc.Arbitrary<Record<string, unknown>> {
    const rec: Record<string, fc.Arbitrary<unknown>> = {};
    for (const f of fields) {
      rec[prop(f)] = inRange(f.versions, v) ? this.fieldArb(f, v, depth) : fc.constant(this.defaultValue(f));
    }
    return fc.record(rec, { noNullPrototype: true });
  }

  fieldArb(f: Field, v: number, depth: number): fc.Arbitrary<unknown> {
    const base = this.typeArb(f.type, v, depth);
    const nullable = inRange(f.nullable, v);
    return nullable ? fc.option(base, { nil: null, freq: 4 }) : base;
  }

  typeArb(t: FType, v: number, depth: number): fc.Arbitrary<unknown> {
    if (t.kind === 'array') return fc.array(this.typeArb(t.elem, v, depth + 1), { maxLength: depth > 2 ? 1 : 3 });
    if (t.kind === 'struct') return this.structArb(this.fields(t.name), v, depth + 1);
    switch (t.name) {
      case 'bool':
        return fc.boolean();
      case 'int8':
        return fc.integer({ min: -128, max: 127 });
      case 'int16':
        return fc.integer({ min: -32768, max: 32767 });
      case 'uint16':
        return fc.integer({ min: 0, max: 65535 });
      case 'int32':
        return fc.oneof(fc.integer(), fc.constantFrom(-1, 0, 1));
      case 'uint32':
        return fc.nat({ max: 0xffffffff });
      case 'int64':
        return fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.constantFrom(-1n, 0n));
      case 'float64':
        return fc.double();
      case 'uuid':
        return fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('base64url'));
      case 'string':
        return fc.oneof(
          fc.string({ unit: 'grapheme', maxLength: 12 }),
          fc.string({ unit: 'grapheme-ascii', minLength: 40, maxLength: 200 }),
          fc.constant(''),
        );
      case 'bytes':
        return fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b));
      case 'records':
        return fc.oneof(
          { weight: 5, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) },
          // large enough to be passed through as its own chunk by the writer
          { weight: 1, arbitrary: fc.integer({ min: 8192, max: 9000 }).map((n) => Buffer.alloc(n, n & 0xff)) },
        );
    }
  }
}

function prop(f: Field): string {
  return f.name.charAt(0).toLowerCase() + f.name.slice(1);
}

function structOf(t: FType): string | null {
  if (t.kind === 'struct') return t.name;
  if (t.kind === 'array' && t.elem.kind === 'struct') return t.elem.name;
  return null;
}

function roundTrip(c: Codec, v: number, x: unknown, capacity: number): void {
  const w = new Writer(capacity);
  c.encode(w, v, x);
  const chunks = w.finish();
  const bytes = Buffer.concat(chunks);
  assert.equal(bytes.length, w.length);
  const r = new Reader(bytes);
  const y = c.decode(r, v);
  assert.equal(r.pos, bytes.length, 'decoder consumed every byte');
  assert.deepStrictEqual(y, x);
  // Encoding the decoded value again gives the same bytes.
  const w2 = new Writer();
  c.encode(w2, v, y);
  assert.ok(w2.toBuffer().equals(bytes), 're-encoding is stable');
}

test('the specs folder has every API the broker needs', () => {
  const names = new Set(specs.map((s) => s.name.replace(/(Request|Response)$/, '')));
  for (const n of [
    'ApiVersions', 'Metadata', 'Produce', 'Fetch', 'ListOffsets', 'FindCoordinator', 'JoinGroup', 'SyncGroup',
    'Heartbeat', 'LeaveGroup', 'OffsetCommit', 'OffsetFetch', 'ListGroups', 'DescribeGroups', 'DeleteGroups',
    'CreateTopics', 'DeleteTopics', 'CreatePartitions', 'DescribeConfigs', 'DescribeCluster', 'InitProducerId',
    'AddPartitionsToTxn', 'AddOffsetsToTxn', 'EndTxn', 'TxnOffsetCommit', 'OffsetForLeaderEpoch', 'SaslHandshake',
    'SaslAuthenticate', 'CreateAcls', 'DescribeAcls', 'DeleteAcls',
  ]) {
    assert.ok(names.has(n), n);
  }
  assert.equal(specs.length, 82);
});

for (const spec of specs) {
  test(`${spec.name}: decode(encode(x)) deep-equals x in versions ${spec.valid.lo}-${spec.valid.hi}`, () => {
    const c = codec(spec);
    const schema = new Schema(spec);
    for (let v = spec.valid.lo; v <= spec.valid.hi; v++) {
      const arb = schema.structArb(spec.fields, v, 0);
      fc.assert(
        fc.property(arb, fc.constantFrom(16, 100, 4096), (x, capacity) => roundTrip(c, v, x, capacity)),
        { numRuns: RUNS },
      );
    }
    // one version past the range has no codec
    assert.throws(
      () => c.decode(new Reader(Buffer.alloc(64)), spec.valid.hi + 1),
      (e: unknown) => e instanceof UnsupportedVersionError && (e.code as string) === 'UNSUPPORTED_VERSION' && e.errorCode === 35,
    );
    assert.throws(() => c.encode(new Writer(), -1, {}), UnsupportedVersionError);
  });
}

test('fields left out of a message to encode are written as their defaults', () => {
  // Produce v3+: transactionalId is optional in the type; Fetch response v4+: lastStableOffset default -1
  for (const v of [3, 9]) {
    const w = new Writer();
    protocol.encodeProduceRequest(w, v, { acks: 1, timeoutMs: 5, topicData: [] });
    const d = protocol.decodeProduceRequest(new Reader(w.toBuffer()), v);
    assert.deepEqual(d, { transactionalId: null, acks: 1, timeoutMs: 5, topicData: [] });
  }
  const w = new Writer();
  protocol.encodeFetchResponse(w, 12, {
    responses: [{ topic: 't', partitions: [{ partitionIndex: 0, errorCode: 0, highWatermark: 5n, records: null }] }],
  });
  const d = protocol.decodeFetchResponse(new Reader(w.toBuffer()), 12);
  const p = d.responses[0]!.partitions[0]!;
  assert.equal(p.lastStableOffset, -1n);
  assert.equal(p.preferredReadReplica, -1);
  assert.deepEqual(p.divergingEpoch, { epoch: -1, endOffset: -1n });
  assert.equal(d.sessionId, 0);
});

test('tagged fields: written only when not default, unknown ones skipped on decode', () => {
  const base = { errorCode: 0, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }], throttleTimeMs: 0 };
  const plain = new Writer();
  protocol.encodeApiVersionsResponse(plain, 3, base);
  const plainBytes = plain.toBuffer();
  assert.equal(plainBytes[plainBytes.length - 1], 0, 'empty tagged-field section');

  const tagged = new Writer();
  protocol.encodeApiVersionsResponse(tagged, 3, { ...base, finalizedFeaturesEpoch: 7n, zkMigrationReady: true });
  const tb = tagged.toBuffer();
  // ...tagged section: 2 fields: tag 1 size 8 int64 7, tag 3 size 1 bool
  assert.equal(
    tb.subarray(plainBytes.length - 1).toString('hex'),
    '02' + '01' + '08' + '0000000000000007' + '03' + '01' + '01',
  );
  const d = protocol.decodeApiVersionsResponse(new Reader(tb), 3);
  assert.equal(d.finalizedFeaturesEpoch, 7n);
  assert.equal(d.zkMigrationReady, true);

  // Unknown tags (9 and 200, the latter with a two-byte size) are skipped; known ones still read.
  const unknown = Buffer.concat([
    plainBytes.subarray(0, plainBytes.length - 1),
    Buffer.from('03' + '01' + '08' + '0000000000000009' + '09' + '02' + 'abcd' + 'c801' + '8001', 'hex'),
    Buffer.alloc(128, 0xee),
  ]);
  const u = protocol.decodeApiVersionsResponse(new Reader(unknown), 3);
  assert.equal(u.finalizedFeaturesEpoch, 9n);
  assert.deepEqual(u.supportedFeatures, []);

  // A known tagged field whose declared size does not match its content is malformed.
  const badSize = Buffer.concat([
    plainBytes.subarray(0, plainBytes.length - 1),
    Buffer.from('01' + '01' + '09' + '0000000000000009' + 'ff', 'hex'),
  ]);
  assert.throws(() => protocol.decodeApiVersionsResponse(new Reader(badSize), 3), protocol.MalformedMessageError);
});

test('a tagged field longer than 127 bytes gets a multi-byte size', () => {
  const features = Array.from({ length: 30 }, (_, i) => ({ name: `feature-${i}`, minVersion: 1, maxVersion: 2 }));
  for (const capacity of [16, 4096]) {
    const w = new Writer(capacity);
    protocol.encodeApiVersionsResponse(w, 3, { errorCode: 0, apiKeys: [], throttleTimeMs: 0, supportedFeatures: features });
    const d = protocol.decodeApiVersionsResponse(new Reader(w.toBuffer()), 3);
    assert.deepEqual(d.supportedFeatures, features);
  }
});

test('a non-default value of a non-ignorable field absent from the version throws; ignorable ones are dropped', () => {
  // Produce v0-2 have no transactionalId and it is not ignorable
  assert.throws(
    () => protocol.encodeProduceRequest(new Writer(), 2, { transactionalId: 'tx', acks: 1, timeoutMs: 1, topicData: [] }),
    (e: unknown) => e instanceof UnsupportedVersionError && /TransactionalId/.test(e.message) && e.apiVersion === 2,
  );
  // ...but its default (null) is fine
  protocol.encodeProduceRequest(new Writer(), 2, { transactionalId: null, acks: 1, timeoutMs: 1, topicData: [] });
  // ApiVersions request v0 lacks the (ignorable) client software fields: silently dropped
  const w = new Writer();
  protocol.encodeApiVersionsRequest(w, 0, { clientSoftwareName: 'x', clientSoftwareVersion: 'y' });
  assert.equal(w.length, 0);
  // FetchResponse v11 lacks the non-ignorable tagged DivergingEpoch (12+)
  const part = { partitionIndex: 0, errorCode: 0, highWatermark: 0n, records: null };
  assert.throws(
    () =>
      protocol.encodeFetchResponse(new Writer(), 11, {
        responses: [{ topic: 't', partitions: [{ ...part, divergingEpoch: { epoch: 3, endOffset: 10n } }] }],
      }),
    UnsupportedVersionError,
  );
  protocol.encodeFetchResponse(new Writer(), 11, {
    responses: [{ topic: 't', partitions: [{ ...part, divergingEpoch: { epoch: -1, endOffset: -1n } }] }],
  });
  // CreateTopicsResponse v4 lacks the ignorable tagged TopicConfigErrorCode (5+): dropped
  const topic = { name: 't', errorCode: 0 };
  const a = new Writer();
  protocol.encodeCreateTopicsResponse(a, 4, { topics: [{ ...topic, topicConfigErrorCode: 3 }] });
  const b = new Writer();
  protocol.encodeCreateTopicsResponse(b, 4, { topics: [topic] });
  assert.ok(a.toBuffer().equals(b.toBuffer()));
});

test('null in a field that is not nullable in the version written is a typed error', () => {
  assert.throws(
    () => protocol.encodeProduceRequest(new Writer(), 3, { acks: 1, timeoutMs: 1, topicData: [{ name: null as never, partitionData: [] }] }),
    protocol.InvalidFieldValueError,
  );
  // MetadataRequest topics are nullable from v1 only
  protocol.encodeMetadataRequest(new Writer(), 1, { topics: null });
  assert.throws(() => protocol.encodeMetadataRequest(new Writer(), 0, { topics: null }), protocol.InvalidFieldValueError);
});
