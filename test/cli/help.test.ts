import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { BIN, runCli } from './run-cli.js';

// The commands of src/cli (others' commands, e.g. users/acls/connect, have their own tests).
const COMMANDS = [
  ['topics'],
  ['topics', 'create'],
  ['topics', 'list'],
  ['topics', 'describe'],
  ['topics', 'delete'],
  ['produce'],
  ['consume'],
  ['broker'],
  ['demo'],
  ['run'],
  ['describe'],
  ['groups'],
  ['groups', 'list'],
  ['groups', 'describe'],
];

test('every command has --help with examples, exit 0', { timeout: 600_000 }, async () => {
  // Side by side: each is a whole CLI start.
  const results = await Promise.all(COMMANDS.map((c) => runCli([...c, '--help'])));
  for (const [i, c] of COMMANDS.entries()) {
    const r = results[i]!;
    assert.equal(r.code, 0, `${c.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, /^Usage: tributary /, c.join(' '));
    assert.match(r.stdout, new RegExp(`Examples:\\n(  .*tributary ${c[0]}.*\\n)+`), `${c.join(' ')} --help has examples`);
  }
});

test('tributary --help lists the commands and the exit codes', { timeout: 600_000 }, async () => {
  const r = await runCli(['--help']);
  assert.equal(r.code, 0);
  for (const c of ['run', 'describe', 'groups', 'topics', 'produce', 'consume', 'broker', 'demo']) assert.match(r.stdout, new RegExp(`\\n  ${c}\\b`));
  assert.match(r.stdout, /Exit codes:\n  0 +success\n  1 .*\n  2 .*\n  3 .*\n  130 .*\n  143 /);
});

test('long-running commands take --log-level', { timeout: 600_000 }, async () => {
  for (const c of ['run', 'broker', 'demo']) {
    const help = await runCli([c, '--help']);
    assert.match(help.stdout, /--log-level <level>/, c);
  }
  const bad = await runCli(['broker', '--log-level', 'chatty']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--log-level must be one of trace, debug, info, warn, error, fatal, silent/);
});

test('an unknown command or option is a usage error (exit 2)', { timeout: 600_000 }, async () => {
  assert.equal((await runCli(['frobnicate'])).code, 2);
  assert.equal((await runCli(['groups', 'list', '--frob'])).code, 2);
});

test('a reader that closes the pipe early (| head) ends the output quietly: exit 0, no EPIPE trace', { timeout: 120_000 }, async () => {
  const child = spawn(process.execPath, [BIN, 'broker', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
  // Closed before the CLI has started: its first write finds no reader.
  child.stdout.destroy();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stderr, /EPIPE|Unhandled/);
});
