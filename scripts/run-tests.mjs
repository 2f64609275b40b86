#!/usr/bin/env node
// Runs the whole suite with node:test (Node 20 has no glob for --test): every test/**/*.test.ts,
// or only those under the paths given as arguments (`npm test -- test/log`).
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

function collect(path, out) {
  const st = statSync(path);
  if (st.isDirectory()) {
    for (const name of readdirSync(path).sort()) collect(join(path, name), out);
  } else if (path.endsWith('.test.ts')) {
    out.push(path);
  }
  return out;
}

const roots = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('-'));
const files = (roots.length ? roots : ['test']).flatMap((r) => collect(resolve(r), []));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// Tests that check a CPU-time model against measured runs run after the others, one at a time:
// next to another test file (a Kafka JVM starting, a load test) their CPU per event rises by
// up to 40 % on a 2-core machine, and the check would measure the neighbour, not the model.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ALONE = new Set(['test/cli/plan-measured.test.ts'].map((p) => resolve(root, p)));
const together = files.filter((f) => !ALONE.has(f));
const alone = files.filter((f) => ALONE.has(f));

function run(list, concurrency) {
  if (list.length === 0) return 0;
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...flags, ...list],
    { stdio: 'inherit' },
  );
  return r.status ?? 1;
}

const first = run(together, process.env.TEST_CONCURRENCY ?? '2');
const second = run(alone, '1');
process.exit(first !== 0 ? first : second);
