// Schema features the Kafka specs in the folder do not use yet (uint16, uint32, float64, nullable
// tagged fields with a non-null default, tagged nullable structs, a field-level flexibleVersions
// override, hex defaults): a synthetic spec is generated into a temporary directory, imported, and
// its encodings checked byte by byte.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generate } from '../../scripts/generate-protocol.js';
import { Reader, Writer, UnsupportedVersionError } from '../../src/protocol/index.js';

const PROTOCOL = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/protocol');
const dir = mkdtempSync(join(tmpdir(), 'tributary-gen-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const request = `// a comment, and "strings // with slashes" below
{
  "apiKey": 1000, "type": "request", "name": "SyntheticRequest",
  "validVersions": "0-2", "flexibleVersions": "1+",
  "fields": [
    { "name": "Port", "type": "uint16", "versions": "0+", "default": "0x1f90", "about": "a // not a comment" },
    { "name": "Big", "type": "uint32", "versions": "0+" },
    { "name": "Ratio", "type": "float64", "versions": "0+", "default": "0.5" },
    { "name": "Legacy", "type": "string", "versions": "0+", "flexibleVersions": "none" },
    { "name": "Note", "type": "string", "versions": "1+", "nullableVersions": "1+", "default": "x",
      "tag": 0, "taggedVersions": "1+" },
    { "name": "Inner", "type": "InnerStruct", "versions": "1+", "nullableVersions": "1+", "default": "null",
      "tag": 1, "taggedVersions": "1+", "fields": [
        { "name": "A", "type": "int32", "versions": "1+" }
    ]},
    { "name": "Only2", "type": "int64", "versions": "2+", "default": "-1" }
  ]
}`;
const response = `{
  "apiKey": 1000, "type": "response", "name": "SyntheticResponse",
  "validVersions": "0-2", "flexibleVersions": "1+",
  "fields": [ { "name": "ErrorCode", "type": "int16", "versions": "0+" } ]
}`;

async function load(): Promise<Record<string, (...a: unknown[]) => unknown>> {
  const specs = join(dir, 'specs');
  mkdirSync(specs);
  writeFileSync(join(specs, 'SyntheticRequest.json'), request);
  writeFileSync(join(specs, 'SyntheticResponse.json'), response);
  const files = generate(specs);
  const out = join(dir, 'out');
  mkdirSync(join(out, 'messages'), { recursive: true });
  writeFileSync(join(out, 'messages', 'synthetic-request.ts'), files.get('messages/synthetic-request.ts')!);
  // the generated file imports ../reader.js etc.: point those at the real runtime
  for (const m of ['reader', 'writer', 'protocol-error', 'types']) {
    writeFileSync(join(out, `${m}.ts`), `export * from ${JSON.stringify(pathToFileURL(join(PROTOCOL, `${m}.ts`)).href)};\n`);
  }
  return (await import(pathToFileURL(join(out, 'messages', 'synthetic-request.ts')).href)) as Record<
    string,
    (...a: unknown[]) => unknown
  >;
}

test('synthetic spec: uint16/uint32/float64, hex default, flexibleVersions override, nullable tagged fields', async () => {
  const m = await load();
  const encode = m.encodeSyntheticRequest!;
  const decode = m.decodeSyntheticRequest!;
  const hex = (v: number, d: unknown): string => {
    const w = new Writer();
    encode(w, v, d);
    return w.toBuffer().toString('hex');
  };
  const roundTrip = (v: number, d: unknown): unknown => {
    const w = new Writer();
    encode(w, v, d);
    const b = w.toBuffer();
    const r = new Reader(b);
    const x = decode(r, v);
    assert.equal(r.remaining(), 0);
    return x;
  };

  // v0: uint16 0xfffe, uint32 0xfffffffe, float64 -2.5, classic string "ab"
  const base = { port: 0xfffe, big: 0xfffffffe, ratio: -2.5, legacy: 'ab' };
  assert.equal(hex(0, base), 'fffe' + 'fffffffe' + 'c004000000000000' + '00026162');
  assert.deepEqual(roundTrip(0, base), { ...base, note: 'x', inner: null, only2: -1n });
  // defaults when absent: hex default 0x1f90 = 8080, float 0.5
  assert.deepEqual(decode(new Reader(Buffer.from('1f90' + '00000000' + '3fe0000000000000' + '0000', 'hex')), 0), {
    port: 8080,
    big: 0,
    ratio: 0.5,
    legacy: '',
    note: 'x',
    inner: null,
    only2: -1n,
  });

  // v1 (flexible): Legacy keeps its int16 length (flexibleVersions "none"); tagged fields at defaults are not written
  assert.equal(hex(1, { ...base, note: 'x', inner: null }), 'fffe' + 'fffffffe' + 'c004000000000000' + '00026162' + '00');
  // Note null (nullable, default "x"): written as tag 0, size 1, compact null
  assert.equal(hex(1, { ...base, note: null }), 'fffe' + 'fffffffe' + 'c004000000000000' + '00026162' + '01' + '000100');
  // Note "yz" and Inner {a: 7}: tag 0 "yz", tag 1 with a presence byte then the struct
  assert.equal(
    hex(1, { ...base, note: 'yz', inner: { a: 7 } }),
    'fffe' + 'fffffffe' + 'c004000000000000' + '00026162' + '02' + '0003' + '03797a' + '0106' + '01' + '00000007' + '00',
  );
  for (const d of [
    { ...base, note: null, inner: null },
    { ...base, note: 'yz', inner: { a: 7 } },
    { ...base, note: 'x', inner: { a: 0 } },
  ]) {
    assert.deepEqual(roundTrip(1, d), { ...d, only2: -1n });
  }
  // v2 adds a non-ignorable int64: writing it at v1 fails, its default is fine
  assert.deepEqual(roundTrip(2, { ...base, only2: 5n }), { ...base, note: 'x', inner: null, only2: 5n });
  // (the temporary module loads its own copy of the runtime: match the class by name)
  assert.throws(() => encode(new Writer(), 1, { ...base, only2: 5n }), { name: UnsupportedVersionError.name });
  encode(new Writer(), 1, { ...base, only2: -1n });
  // out-of-range unsigned values are refused
  assert.throws(() => encode(new Writer(), 0, { ...base, port: 70000 }));
  assert.throws(() => encode(new Writer(), 0, { ...base, big: -1 }));
});
