// Interactive queries routed across processes (Kafka Streams' application.server): 3 processes of
// one application with scaleOut on `tributary broker` (and real Kafka when it can run here), each
// announcing its dashboard in its JoinGroup metadata. Every process answers /api/state/<store>?key=
// for every key — its own partitions locally, the others' by forwarding to their owner — and a
// range query gathers every owner's entries. After a process leaves, the group rebalances and the
// endpoint map follows: the two left answer every key again.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { partitionForKey } from '../../src/records/partitioner.js';
import { tempDir } from '../engine/runtime/helpers.js';
import { open, produceVia, targets, type In } from '../connectors/kafka/logs.js';
import { eventually } from './fixture.js';
import { INPUT } from './fixtures/iq-process.js';

const PARTITIONS = 6;
const USERS = 30;
const PAGES = ['/', '/cart', '/checkout', '/help', '/search'];
const TOKEN = 'iq-routing-shared-token-0123456789';
const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'iq-process.ts');

interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly out: () => string;
  /** The dashboard URL once READY; undefined if the process ended first. */
  readonly ready: Promise<string | undefined>;
  readonly exit: Promise<number | null>;
}

function launch(bootstrap: string, stateDir: string, name: string): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, bootstrap, join(stateDir, name), name, TOKEN], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let onReady: (url: string | undefined) => void = () => {};
  const ready = new Promise<string | undefined>((r) => (onReady = r));
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /^READY (\S+) /m.exec(out);
    if (m) onReady(m[1]);
  });
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => (onReady(undefined), resolve(code))));
  return { name, child, out: () => out, ready, exit };
}

/** The partitions a process runs now: its last READY or OWNS line. */
function owned(p: Proc): number[] {
  const lines = p.out().split('\n').filter((l) => l.startsWith('READY ') || l.startsWith('OWNS '));
  const last = lines.at(-1);
  if (!last) return [];
  return JSON.parse(last.slice(last.lastIndexOf(' ') + 1)) as number[];
}

interface Entry {
  key: string;
  value: number;
  partition: number;
}

async function query(url: string, path: string): Promise<{ status: number; body: { entries: Entry[]; partitions: number[]; error?: string; message?: string } }> {
  const r = await fetch(new URL(path, url), { headers: { authorization: `Bearer ${TOKEN}` } });
  return { status: r.status, body: (await r.json()) as { entries: Entry[]; partitions: number[] } };
}

/** Whether every process's own partitions are disjoint and together all of them. */
function settledOwners(procs: readonly Proc[]): boolean {
  const all = procs.flatMap(owned);
  return all.length === PARTITIONS && new Set(all).size === PARTITIONS && procs.every((p) => owned(p).length > 0);
}

/** Every key of both stores asked of process `url`: the expected count, on the key's partition. Returns the mismatches. */
async function wrongAnswers(url: string, perUser: ReadonlyMap<string, number>, perPage: ReadonlyMap<string, number>): Promise<string[]> {
  const wrong: string[] = [];
  const check = async (store: string, key: string, expected: number) => {
    const r = await query(url, `/api/state/${store}?key=${encodeURIComponent(key)}`);
    const e = r.body.entries?.[0];
    if (r.status !== 200 || r.body.entries.length !== 1 || e!.value !== expected || e!.partition !== partitionForKey(Buffer.from(key), PARTITIONS)) {
      wrong.push(`${store} ${key}: ${r.status} ${JSON.stringify(r.body)}`);
    }
  };
  await Promise.all([...[...perUser].map(([k, v]) => check('per-user', k, v)), ...[...perPage].map(([k, v]) => check('per-page', k, v))]);
  return wrong;
}

for (const target of targets()) {
  describe(`interactive queries routed across processes on ${target.name === 'kafka' ? 'a real Kafka cluster' : 'tributary broker'}`, { skip: target.skip }, () => {
    after(() => target.stop());

    test('3 processes: each answers every key (its own locally, the others\' through their owners); after one leaves, the two left do', { timeout: 600_000 }, async () => {
      const bootstrap = await target.start();
      const { admin } = await open(bootstrap);
      const { dir, cleanup } = tempDir('tributary-iq-');
      const procs: Proc[] = [];
      try {
        await admin.createTopics([{ name: INPUT, partitions: PARTITIONS, config: { 'retention.ms': -1 } }]);
        const perUser = new Map<string, number>();
        const perPage = new Map<string, number>();
        const records: In[] = [];
        for (let i = 0; i < 600; i++) {
          const user = `user-${(i * 7) % USERS}`;
          const page = PAGES[i % PAGES.length]!;
          records.push({ key: user, value: JSON.stringify({ user, page }), timestamp: 1_700_000_000_000 + i });
          perUser.set(user, (perUser.get(user) ?? 0) + 1);
          perPage.set(page, (perPage.get(page) ?? 0) + 1);
        }
        await produceVia(admin, INPUT, records);
        for (const name of ['a', 'b', 'c']) procs.push(launch(bootstrap, dir, name));
        const urls = new Map<Proc, string>();
        for (const p of procs) {
          const url = await p.ready;
          assert.ok(url, `process ${p.name} started: ${p.out()}`);
          urls.set(p, url);
        }

        // Settled: the three share the partitions and every process answers every key right.
        await eventually(
          async () => {
            if (!settledOwners(procs)) return undefined;
            for (const p of procs) if ((await wrongAnswers(urls.get(p)!, perUser, perPage)).length > 0) return undefined;
            return true;
          },
          'three processes sharing the partitions, each answering every key',
          240_000,
        );
        for (const p of procs) {
          const mine = new Set(owned(p));
          assert.ok(mine.size > 0 && mine.size < PARTITIONS, `${p.name} owns some partitions, not all: ${[...mine]}`);
          assert.deepEqual(await wrongAnswers(urls.get(p)!, perUser, perPage), [], `process ${p.name}`);
          // Keys this process does not own were among those answered: they went to their owners.
          assert.ok([...perUser.keys()].some((u) => !mine.has(partitionForKey(Buffer.from(u), PARTITIONS))), `${p.name} was asked for others' keys`);
          // A range query gathers every owner's partitions.
          const all = await query(urls.get(p)!, '/api/state/per-user');
          assert.equal(all.status, 200, JSON.stringify(all.body));
          assert.deepEqual(new Map(all.body.entries.map((e) => [e.key, e.value])), perUser);
          const pages = await query(urls.get(p)!, '/api/state/per-page?from=%2Fc&to=%2Fh~');
          assert.deepEqual(new Map(pages.body.entries.map((e) => [e.key, e.value])), new Map([...perPage].filter(([k]) => k >= '/c' && k <= '/h~')));
        }

        // b leaves (a clean close: LeaveGroup); the group rebalances, a and c take its partitions
        // and the endpoint map no longer names b.
        const b = procs[1]!;
        b.child.kill('SIGTERM');
        assert.equal(await b.exit, 0, b.out());
        const left = [procs[0]!, procs[2]!];
        await eventually(
          async () => {
            if (!settledOwners(left)) return undefined;
            for (const p of left) if ((await wrongAnswers(urls.get(p)!, perUser, perPage)).length > 0) return undefined;
            return true;
          },
          'the two left sharing every partition, each answering every key',
          240_000,
        );
        for (const p of left) {
          assert.deepEqual(await wrongAnswers(urls.get(p)!, perUser, perPage), [], `process ${p.name} after b left`);
          const all = await query(urls.get(p)!, '/api/state/per-user');
          assert.deepEqual(new Map(all.body.entries.map((e) => [e.key, e.value])), perUser);
        }
      } finally {
        for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
        await Promise.all(procs.map((p) => p.exit));
        await admin.close();
        cleanup();
      }
    });
  });
}
