/**
 * `npm run bench -- peers [--events N] [--repeats R] [--queries q0,q1,q2] [--agree-events M] [--json]`:
 * Tributary against its peers on the same machine, same events, same run. For each query:
 *  1. agreement: the peer's rows and Tributary's over the first M events (50K) must be the same
 *     multiset, else no ratio is printed for that query;
 *  2. timing: N events (1M), each system pinned to the same core (taskset -c 1 when present),
 *     R repeats (3); Tributary one process per repeat (bench/nexmark/child.ts, source log),
 *     Flink one JVM running the query R times (the later runs JIT-warm); medians of events per
 *     CPU-core-second, and the ratio Tributary / peer.
 * Peers: Apache Flink 2.2 (q0-q2 so far). Kafka Streams is not built yet.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FLINK_QUERIES, ensureFlinkPeer, flinkRows, flinkTimings, writeEventsFile } from './peers/flink.js';
import { sameRows, tributaryRows } from './peers/agreement.js';
import type { NexmarkResult } from './nexmark/runner.js';

const here = dirname(fileURLToPath(import.meta.url));

interface PeerRow {
  query: string;
  agreement: string;
  tributary_events_per_core_sec: number;
  flink_events_per_core_sec: number;
  ratio: number | null;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function arg(args: string[], name: string, def: string): string {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : def;
}

export async function main(args: string[]): Promise<void> {
  const events = Number(arg(args, '--events', '1000000'));
  const repeats = Number(arg(args, '--repeats', '3'));
  const agreeEvents = Number(arg(args, '--agree-events', '50000'));
  const queries = arg(args, '--queries', FLINK_QUERIES.join(',')).split(',');
  const asJson = args.includes('--json');
  const cpu = spawnSync('taskset', ['-c', '1', 'true']).status === 0 ? '1' : undefined;
  const log = (m: string): void => void process.stderr.write(`[bench peers] ${m}\n`);
  const classpath = ensureFlinkPeer();
  const dir = mkdtempSync(join(tmpdir(), 'tributary-peers-'));
  const rows: PeerRow[] = [];
  try {
    const agreeFile = join(dir, 'agree.jsonl');
    const file = join(dir, 'events.jsonl');
    await writeEventsFile(agreeFile, agreeEvents);
    await writeEventsFile(file, events);
    for (const q of queries) {
      const agree = sameRows(tributaryRows(q, agreeEvents), flinkRows(classpath, agreeFile, q));
      log(`${q}: agreement over ${agreeEvents} events: ${agree.detail}`);
      const trib: number[] = [];
      for (let i = 0; i < repeats; i++) {
        const cmd = [...(cpu ? ['-c', cpu] : []), process.execPath, '--import', 'tsx', join(here, 'nexmark', 'child.ts'), q, String(events), 'log'];
        const r = spawnSync(cpu ? 'taskset' : cmd.shift()!, cpu ? cmd : cmd, { encoding: 'utf8', maxBuffer: 1 << 26 });
        if (r.status !== 0) throw new Error(`tributary ${q} failed: ${r.stderr}`);
        trib.push((JSON.parse(r.stdout.trim().split('\n').at(-1)!) as NexmarkResult).events_per_core_sec);
      }
      const flink = flinkTimings(classpath, file, q, repeats, cpu).map((t) => Math.round(events / t.cpu_seconds));
      const t = Math.round(median(trib));
      const f = Math.round(median(flink));
      const row: PeerRow = { query: q, agreement: agree.detail, tributary_events_per_core_sec: t, flink_events_per_core_sec: f, ratio: agree.equal ? Math.round((t / f) * 100) / 100 : null };
      log(`${q}: tributary ${trib.join(', ')} | flink ${flink.join(', ')} events/core-s -> ratio ${row.ratio ?? 'not printed (results differ)'}`);
      rows.push(row);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (asJson) process.stdout.write(JSON.stringify({ bench: 'peers', events, repeats, pinned_cpu: cpu ?? null, results: rows }) + '\n');
  else for (const r of rows) process.stdout.write(`${r.query}  tributary ${r.tributary_events_per_core_sec}  flink ${r.flink_events_per_core_sec}  ratio ${r.ratio ?? '-'}  (${r.agreement})\n`);
}
