import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CredentialStore } from '../../../src/broker/security/index.js';
import { run, tempDir } from '../helpers.js';

const BIN = fileURLToPath(new URL('../../../bin/tributary.js', import.meta.url));
const cli = (args: string[]) => run(process.execPath, [BIN, ...args], { timeoutMs: 60_000 });

test('tributary users add/list/remove keep salted hashes in the data dir', async (t) => {
  const { dir, cleanup } = tempDir('tributary-cli-sec-');
  t.after(cleanup);
  const added = await cli(['users', 'add', 'alice', '--password', 'pa55word', '--mechanism', 'SCRAM-SHA-512', '--data-dir', dir]);
  assert.equal(added.code, 0, added.stderr);
  assert.equal((await cli(['users', 'add', 'bob', '--password', 'x', '--data-dir', dir])).code, 0);
  const listed = await cli(['users', 'list', '--json', '--data-dir', dir]);
  assert.deepEqual(JSON.parse(listed.stdout), [
    { name: 'alice', mechanisms: ['SCRAM-SHA-512'] },
    { name: 'bob', mechanisms: ['SCRAM-SHA-256', 'SCRAM-SHA-512'] },
  ]);
  assert.ok(!readFileSync(`${dir}/security/users.json`, 'utf8').includes('pa55word'));
  assert.equal(await new CredentialStore(dir).verifyPassword('alice', 'pa55word'), true);
  assert.equal((await cli(['users', 'remove', 'alice', '--data-dir', dir])).code, 0);
  const missing = await cli(['users', 'remove', 'alice', '--data-dir', dir]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /RESOURCE_NOT_FOUND/);
  const bad = await cli(['users', 'add', 'carol', '--password', 'x', '--mechanism', 'MD5', '--data-dir', dir]);
  assert.equal(bad.code, 2);
});

test('tributary acls add/list/remove', async (t) => {
  const { dir, cleanup } = tempDir('tributary-cli-sec-');
  t.after(cleanup);
  const add = await cli(['acls', 'add', '--allow', '--principal', 'User:alice', '--operation', 'READ,WRITE', '--topic', 'orders-', '--prefixed', '--data-dir', dir]);
  assert.equal(add.code, 0, add.stderr);
  assert.match(add.stdout, /Added ALLOW User:alice READ TOPIC:PREFIXED:orders- from \*/);
  assert.equal((await cli(['acls', 'add', '--deny', '--principal', 'User:bob', '--operation', 'ALL', '--group', 'g', '--data-dir', dir])).code, 0);
  const all = JSON.parse((await cli(['acls', 'list', '--json', '--data-dir', dir])).stdout) as unknown[];
  assert.equal(all.length, 3);
  const alice = JSON.parse((await cli(['acls', 'list', '--principal', 'User:alice', '--json', '--data-dir', dir])).stdout) as { operation: string }[];
  assert.deepEqual(alice.map((b) => b.operation).sort(), ['READ', 'WRITE']);
  const removed = await cli(['acls', 'remove', '--principal', 'User:alice', '--operation', 'WRITE', '--data-dir', dir]);
  assert.match(removed.stdout, /Removed ALLOW User:alice WRITE/);
  assert.equal((JSON.parse((await cli(['acls', 'list', '--json', '--data-dir', dir])).stdout) as unknown[]).length, 2);
  const unfiltered = await cli(['acls', 'remove', '--data-dir', dir]);
  assert.equal(unfiltered.code, 2, 'removing everything needs --all');
  assert.equal((await cli(['acls', 'add', '--allow', '--principal', 'alice', '--operation', 'READ', '--topic', 't', '--data-dir', dir])).code, 1, 'a principal is TYPE:NAME');
});

test('tributary broker refuses a plaintext listener on a non-loopback interface', async (t) => {
  const { dir, cleanup } = tempDir('tributary-cli-sec-');
  t.after(cleanup);
  const r = await cli(['broker', '--host', '0.0.0.0', '--port', '0', '--data-dir', dir]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /INVALID_CONFIG: refusing a plaintext listener on 0\.0\.0\.0/);
});
