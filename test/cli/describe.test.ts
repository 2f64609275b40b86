import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from './run-cli.js';

const APP = fileURLToPath(new URL('./fixtures/page-views-app.ts', import.meta.url));

interface TopologyJson {
  application_id: string;
  subtopologies: Array<{ id: number; nodes: Array<{ name: string; type: string; kind: string; topic?: string; stores: string[]; next: string[]; prev: string[] }> }>;
  source_topics: string[];
  output_topics: string[];
  repartition_topics: string[];
  changelog_topics: string[];
  dead_letter_topic: string | null;
}

test('describe prints the topology of an app file as text and as JSON, without touching the data directory', { timeout: 600_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-cli-describe-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dataDir = join(dir, 'data');

  const text = await runCli(['describe', APP, '--data-dir', dataDir]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^Topology: page-views\n/);
  // keyBy splits the app at the repartition topic: two sub-topologies.
  assert.match(text.stdout, /Sub-topology: 0\n/);
  assert.match(text.stdout, /Sub-topology: 1\n/);
  assert.match(text.stdout, /Source: clicks \(topics: \[clicks\]\)/);
  assert.match(text.stdout, /Internal topics:\n(.*\n)*\s+page-views-.*-repartition \(repartition\)/);
  assert.match(text.stdout, /\(changelog\)/);
  assert.match(text.stdout, /Dead-letter topic: page-views-dlq/);

  const json = await runCli(['describe', APP, '--data-dir', dataDir, '--json']);
  assert.equal(json.code, 0, json.stderr);
  const t1 = JSON.parse(json.stdout) as TopologyJson;
  assert.equal(t1.application_id, 'page-views');
  assert.equal(t1.subtopologies.length, 2);
  assert.deepEqual(t1.source_topics, ['clicks']);
  assert.deepEqual(t1.output_topics, ['page-views']);
  assert.equal(t1.repartition_topics.length, 1);
  assert.ok(t1.changelog_topics.length >= 1);
  assert.equal(t1.dead_letter_topic, 'page-views-dlq');
  // The graph's arrows agree: every `next` of a node names a node whose `prev` names it back.
  for (const s of t1.subtopologies) {
    const byName = new Map(s.nodes.map((n) => [n.name, n]));
    for (const n of s.nodes) for (const next of n.next) assert.ok(byName.get(next.replace(/ \[.*\]$/, ''))?.prev.includes(n.name), `${n.name} -> ${next}`);
  }
  const sources = t1.subtopologies.flatMap((s) => s.nodes.filter((n) => n.kind === 'source').map((n) => n.topic));
  assert.ok(sources.includes(t1.repartition_topics[0]), 'the second sub-topology reads the repartition topic');
  assert.ok(t1.subtopologies.some((s) => s.nodes.some((n) => n.stores.length > 0)), 'the window aggregate has a store');

  assert.equal(existsSync(dataDir), false, 'an app that does not connect while being built opens no log');
});

test('describe: a missing file exits 2, a wrong export exits 1', async () => {
  const missing = await runCli(['describe', 'no-such-app.ts']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /APP_NOT_FOUND/);
  const wrong = await runCli(['describe', fileURLToPath(new URL('./run-cli.ts', import.meta.url))]);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /INVALID_APP_MODULE: .*no default export function/);
});
