// The CLI loads a command's module only when that command runs: `tributary --help` lists every
// command without importing the engine, the broker or the log. Checked by what gets loaded (a
// loader hook records every module URL), not by timing; and the lazy listing must be the one the
// commands themselves declare.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildProgram } from '../../src/cli/main.js';
import { COMMANDS, requestedCommand } from '../../src/cli/command-table.js';
import { BIN } from './run-cli.js';

const HOOK = fileURLToPath(new URL('./fixtures/record-module-loads.mjs', import.meta.url));
const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const HEAVY = ['engine', 'broker', 'log', 'connectors', 'dashboard', 'state', 'protocol'];

/** Runs the CLI as a subprocess and returns its output and the modules it loaded (paths under src/, and how many modules in all). */
async function loadsOf(args: readonly string[]): Promise<{ code: number; stdout: string; src: string[]; total: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-loads-'));
  const file = join(dir, 'modules.txt');
  try {
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', HOOK, BIN, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TRIBUTARY_MODULE_LOG: file } });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.on('error', reject);
      child.on('close', (c) => resolve({ code: c ?? -1, stdout: out }));
    });
    const urls = (await readFile(file, 'utf8')).split('\n').filter((l) => l.length > 0);
    const src = [...new Set(urls.filter((u) => u.startsWith('file://')).map((u) => fileURLToPath(u)).filter((p) => p.startsWith(SRC)).map((p) => p.slice(SRC.length)))];
    return { code, stdout, src, total: new Set(urls).size };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('the lazy listing is the one the commands declare: `tributary --help` is the same with every command loaded', async () => {
  const lazy = await buildProgram(['--help']);
  const all = await buildProgram('all');
  assert.equal(lazy.helpInformation(), all.helpInformation());
  assert.deepEqual(all.commands.map((c) => c.name()), COMMANDS.map((c) => c.name));
  // Only the named command is loaded: it has its options, the others are bare entries.
  const run = await buildProgram(['run', 'app.ts']);
  assert.ok(run.commands.find((c) => c.name() === 'run')!.options.some((o) => o.long === '--duration'));
  assert.equal(run.commands.find((c) => c.name() === 'broker')!.options.length, 0);
});

test('the command named by an argument list: global options and their values skipped, `help <command>`', () => {
  assert.equal(requestedCommand(['--help']), undefined);
  assert.equal(requestedCommand([]), undefined);
  assert.equal(requestedCommand(['topics', 'list']), 'topics');
  assert.equal(requestedCommand(['-d', 'run', 'topics', 'list']), 'topics');
  assert.equal(requestedCommand(['--data-dir', 'x', '--json', 'groups', 'list']), 'groups');
  assert.equal(requestedCommand(['--data-dir=x', 'run', 'app.ts']), 'run');
  assert.equal(requestedCommand(['help', 'broker']), 'broker');
  assert.equal(requestedCommand(['help']), 'help');
});

test('`tributary --help` loads none of the engine, broker, log, connectors, dashboard or state modules', { timeout: 300_000 }, async () => {
  const help = await loadsOf(['--help']);
  assert.equal(help.code, 0);
  for (const c of COMMANDS) assert.match(help.stdout, new RegExp(`\\n  ${c.name}\\b`));
  const heavy = help.src.filter((p) => HEAVY.includes(p.split('/')[0]!));
  assert.deepEqual(heavy, [], 'no heavy module loaded for --help');
  assert.ok(!help.src.some((p) => p.startsWith('cli/commands/')), `no command module loaded: ${help.src.join(', ')}`);

  // A command loads its own module and what it needs, and no other command's module.
  const topics = await loadsOf(['topics', '--help']);
  assert.equal(topics.code, 0);
  assert.match(topics.stdout, /Usage: tributary topics/);
  assert.deepEqual(topics.src.filter((p) => p.startsWith('cli/commands/')), ['cli/commands/topics.ts']);
  assert.ok(!topics.src.some((p) => p.startsWith('engine/') || p.startsWith('broker/')), 'topics does not load the engine or the broker');

  // `help run` loads run, so its help is complete.
  const run = await loadsOf(['help', 'run']);
  assert.equal(run.code, 0);
  assert.match(run.stdout, /--duration <d>/);
  assert.ok(run.src.includes('cli/commands/run.ts'));
  process.stderr.write(`modules loaded: --help ${help.total} (${help.src.length} of src/), topics --help ${topics.total} (${topics.src.length}), help run ${run.total} (${run.src.length})\n`);
});
