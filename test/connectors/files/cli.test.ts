import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../cli/run-cli.js';
import { CliProcess } from '../../cli/run-cli-process.js';

function tmp(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-connect-cli-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

test('tributary connect file-source then file-sink: a CSV file through a topic into JSON Lines; bad lines to the dead-letter topic', async () => {
  const { dir, cleanup } = tmp();
  try {
    const data = join(dir, 'data');
    writeFileSync(join(dir, 'in.csv'), 'id,city\n1,"Paris, FR"\n2,Oslo\noops\n3,"Lima"\n');
    const src = await runCli(['-d', data, 'connect', 'file-source', '--name', 'cities', '--topic', 'cities', '--file', join(dir, 'in.csv'), '--key-field', 'id', '--dead-letter']);
    assert.equal(src.code, 0, src.stderr);
    assert.match(src.stderr, /"records":3,"deadLetters":1/);
    const sink = await runCli(['-d', data, 'connect', 'file-sink', '--name', 'out', '--topic', 'cities', '--file', join(dir, 'out.jsonl'), '--until-end']);
    assert.equal(sink.code, 0, sink.stderr);
    assert.deepEqual(readFileSync(join(dir, 'out.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)), [
      { id: '1', city: 'Paris, FR' },
      { id: '2', city: 'Oslo' },
      { id: '3', city: 'Lima' },
    ]);
    const dlq = await runCli(['-d', data, 'consume', 'cities-dlq', '--from-beginning']);
    assert.equal(dlq.stdout, 'oops\n');
    const usage = await runCli(['-d', data, 'connect', 'file-sink', '--name', 'x', '--topic', 'cities', '--file', join(dir, 'o.csv')]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /needs --columns/);
  } finally {
    cleanup();
  }
});

test('tributary connect http: POST records, read them with consume after Ctrl-C', async () => {
  const { dir, cleanup } = tmp();
  try {
    const data = join(dir, 'data');
    const server = new CliProcess(['-d', data, 'connect', 'http', '--port', '0', '--create-topics', '2', '--key-field', 'user']);
    await server.waitForStderr(/listening on (http:\/\/\S+)/);
    const url = /listening on (http:\/\/\S+)/.exec(server.stderr)![1]!;
    const res = await fetch(`${url}/topics/views`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: '{"user":"a","n":1}\n{"user":"b","n":2}\n' });
    assert.equal(res.status, 201);
    assert.equal(((await res.json()) as { count: number }).count, 2);
    server.kill('SIGINT');
    assert.equal(await server.exited, 0);
    const out = await runCli(['-d', data, 'consume', 'views', '--from-beginning', '--print-key']);
    assert.deepEqual(out.stdout.trim().split('\n').sort(), ['a\t{"user":"a","n":1}', 'b\t{"user":"b","n":2}']);
  } finally {
    cleanup();
  }
});
