import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from './run-cli.js';
import { CliProcess } from './run-cli-process.js';
import { word } from './fixtures/word-lengths-app.js';

const APP = fileURLToPath(new URL('./fixtures/word-lengths-app.ts', import.meta.url));

interface Report {
  application_id: string;
  stopped_by: string;
  duration_ms: number;
  cpu_ms: number;
  records_in: Record<string, number>;
  records_out: Record<string, number>;
  late_records: number;
  dead_lettered: number;
  commits: number;
  restored_records: number;
  restore_ms: number;
}

function tempDir(t: { after: (f: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-cli-run-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function expectedLongWords(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) if (word(i).length > 3) out.push(word(i).toUpperCase());
  return out.sort();
}

async function consumed(dataDir: string, topic: string): Promise<string[]> {
  const r = await runCli(['consume', topic, '--from-beginning', '--json', '--data-dir', dataDir]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { value: string }).value)
    .sort();
}

test('run: the app and its generator run until SIGINT, close cleanly, print the summary and exit 130', { timeout: 600_000 }, async (t) => {
  const dir = tempDir(t);
  const p = new CliProcess(['run', APP, '--data-dir', dir, '--json', '--', '--count', '300']);
  // The fixture says so once the app has committed its input offsets up to the end of what it wrote.
  await p.waitForStderr(/fixture: all input committed/);
  p.kill('SIGINT');
  const code = await p.exited;
  assert.equal(code, 130, p.stderr);
  const lines = p.stdout.trim().split('\n');
  assert.equal(lines.length, 1, `one JSON object on stdout: ${p.stdout}`);
  const r = JSON.parse(lines[0]!) as Report;
  assert.equal(r.application_id, 'word-lengths');
  assert.equal(r.stopped_by, 'SIGINT');
  assert.deepEqual(r.records_in, { words: 300 });
  assert.equal(r.records_out['long-words'], expectedLongWords(300).length);
  assert.ok(r.commits >= 1 && r.cpu_ms > 0 && r.duration_ms > 0);
  // The committed output is exactly what the summary says (exactly-once, last commit included).
  assert.deepEqual(await consumed(dir, 'long-words'), expectedLongWords(300));
  // Logs are JSON lines on stderr.
  const logs = p.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; level: number });
  assert.ok(logs.some((l) => l.msg === 'stopping on signal'), p.stderr);
  assert.ok(logs.some((l) => l.msg === 'application closed'), p.stderr);
});

test('run: --duration stops the run; a second run resumes from the committed offsets', { timeout: 600_000 }, async (t) => {
  const dir = tempDir(t);
  const first = await runCli(['run', APP, '--duration', '2s', '--data-dir', dir, '--json', '--log-level', 'silent', '--', '--count', '100']);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stderr.replace(/^fixture: .*\n/gm, ''), '', 'silent: no log lines');
  const a = JSON.parse(first.stdout) as Report;
  assert.equal(a.stopped_by, 'duration');
  assert.ok(a.duration_ms >= 2000, `duration ${a.duration_ms}`);
  // However far the app got in 2 s, what it reports is what it committed.
  const out1 = await consumed(dir, 'long-words');
  assert.equal(out1.length, a.records_out['long-words'] ?? 0);

  // The second run writes 100 more words; the app starts at the committed offsets, so in total
  // every word is processed exactly once.
  const second = new CliProcess(['run', APP, '--data-dir', dir, '--json', '--log-level', 'warn', '--', '--count', '100']);
  await second.waitForStderr(/fixture: all input committed/);
  second.kill('SIGTERM');
  assert.equal(await second.exited, 143, second.stderr);
  const b = JSON.parse(second.stdout) as Report;
  assert.equal(b.stopped_by, 'SIGTERM');
  assert.equal((a.records_in.words ?? 0) + (b.records_in.words ?? 0), 200);
  assert.deepEqual(await consumed(dir, 'long-words'), [...expectedLongWords(100), ...expectedLongWords(100)].sort());
});

test('run --threads 2: each worker thread builds the app and runs its partition, the generator runs beside them, the output is exactly-once', { timeout: 600_000 }, async (t) => {
  const dir = tempDir(t);
  const p = new CliProcess(['run', APP, '--threads', '2', '--data-dir', dir, '--json', '--log-level', 'warn', '--', '--count', '300', '--report-thread']);
  await p.waitForStderr(/fixture: all input committed/);
  p.kill('SIGTERM');
  assert.equal(await p.exited, 143, p.stderr);
  // Built once here (it names the run) and once in each of the two workers.
  const builtOn = [...p.stderr.matchAll(/fixture: app built on thread (\d+)/g)].map((m) => Number(m[1]));
  const workers = builtOn.filter((id) => id !== 0);
  assert.equal(workers.length, 2, p.stderr);
  assert.equal(new Set(workers).size, 2, p.stderr);
  assert.equal(builtOn.length, 3, p.stderr);
  const r = JSON.parse(p.stdout) as Report;
  assert.equal(r.application_id, 'word-lengths');
  assert.equal(r.stopped_by, 'SIGTERM');
  // The threads' summaries added up: every word read once between them.
  assert.deepEqual(r.records_in, { words: 300 });
  assert.equal(r.records_out['long-words'], expectedLongWords(300).length);
  assert.deepEqual(await consumed(dir, 'long-words'), expectedLongWords(300));
});

test('run --threads is refused with --brokers (threads share the embedded log) and with --ui-port, and must be at least 1', { timeout: 600_000 }, async (t) => {
  const dir = tempDir(t);
  const brokers = await runCli(['run', APP, '--threads', '2', '--brokers', '127.0.0.1:9', '--data-dir', dir]);
  assert.equal(brokers.code, 2, brokers.stderr);
  assert.match(brokers.stderr, /--threads runs on the embedded log/);
  const ui = await runCli(['run', APP, '--threads', '2', '--ui-port', '0', '--data-dir', dir]);
  assert.equal(ui.code, 2, ui.stderr);
  assert.match(ui.stderr, /--threads and --ui-port/);
  const zero = await runCli(['run', APP, '--threads', '0', '--data-dir', dir]);
  assert.equal(zero.code, 2, zero.stderr);
  assert.match(zero.stderr, /--threads must be at least 1/);
});

test('run: the text summary names the topics', { timeout: 600_000 }, async (t) => {
  const dir = tempDir(t);
  const r = await runCli(['run', APP, '--duration', '1s', '--data-dir', dir, '--log-level', 'error', '--', '--count', '0']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Application word-lengths ran \d+\.\d s \(stopped: duration reached/);
  assert.match(r.stdout, /records in: +words 0/);
});

test('run: an app file outside any package imports from \'tributary\' and runs as an ES module', { timeout: 600_000 }, async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'lengths.ts');
  writeFileSync(
    file,
    `import { StreamsApp, string, type RunContext } from 'tributary';
export default async function (ctx: RunContext): Promise<StreamsApp> {
  const log = await ctx.log.connect();
  await log.createTopics([{ name: 'in', partitions: 1 }]);
  await log.close();
  const app = new StreamsApp({ applicationId: 'lengths', log: ctx.log });
  app.stream('in', { value: string() }).mapValues((v) => v.length).to('out');
  return app;
}
`,
  );
  const r = await runCli(['run', file, '--duration', '500ms', '--data-dir', join(dir, 'data'), '--json', '--log-level', 'silent']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as Report).application_id, 'lengths');
});

test('run: a missing file is a usage error (exit 2)', async (t) => {
  const dir = tempDir(t);
  const r = await runCli(['run', join(dir, 'nope.ts'), '--data-dir', dir]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^error: APP_NOT_FOUND: no application file at .*nope\.ts\n$/);
  assert.equal(r.stdout, '');
});

test('run: wrong exports and broken files fail with a clear error (exit 1)', { timeout: 600_000 }, async (t) => {
  const dir = tempDir(t);
  const cases: Array<[string, string, RegExp]> = [
    ['number.ts', 'export default 42;\n', /INVALID_APP_MODULE: .*no default export function \(default export is a number\)/],
    ['none.ts', 'export const app = 1;\n', /INVALID_APP_MODULE: .*no default export function \(no default export\)/],
    ['object.ts', 'export default () => ({ start() {} });\n', /INVALID_APP_MODULE: .*returned an object \(Object\), not a StreamsApp/],
    ['generate.ts', "export default () => null;\nexport const generate = 'soon';\n", /INVALID_APP_MODULE: .*'generate' is a string, not a function/],
    ['syntax.ts', 'export default (=> 1;\n', /APP_LOAD_FAILED: could not load .*syntax\.ts: Transform failed .*syntax\.ts:1:\d+/],
    ['throws.ts', "throw new Error('no config');\n", /APP_LOAD_FAILED: could not load .*throws\.ts: no config/],
  ];
  for (const [name, source, expected] of cases) {
    writeFileSync(join(dir, name), source);
    const r = await runCli(['run', join(dir, name), '--data-dir', join(dir, 'data'), '--log-level', 'silent']);
    assert.equal(r.code, 1, `${name}: ${r.stderr}`);
    assert.match(r.stderr, expected, name);
    assert.doesNotMatch(r.stderr, /\n\s+at /, `${name}: no stack trace`);
  }
});

test('run: an app that fails to start reports why and exits 1 without hanging', { timeout: 600_000 }, async (t) => {
  const dir = tempDir(t);
  writeFileSync(
    join(dir, 'missing.ts'),
    `import { StreamsApp } from 'tributary';
export default (ctx: { log: never }) => { const app = new StreamsApp({ applicationId: 'm', log: ctx.log }); app.stream('absent').to('x'); return app; };
`,
  );
  const r = await runCli(['run', join(dir, 'missing.ts'), '--data-dir', join(dir, 'data'), '--log-level', 'silent']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /error: INVALID_CONFIG: source topic\(s\) missing: absent/);
});

test('run: malformed --duration and --log-level are usage errors', async () => {
  for (const args of [['--duration', 'soon'], ['--log-level', 'loud']]) {
    const r = await runCli(['run', 'app.ts', ...args]);
    assert.equal(r.code, 2, r.stderr);
  }
});
