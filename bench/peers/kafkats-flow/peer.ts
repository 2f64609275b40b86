/**
 * The @kafkats/flow peer (npm @kafkats/flow 0.12.0): each run is a Node process of its own
 * (flow-child.ts), pinned like Tributary's, reading the events topic from the beginning with a
 * fresh application id `<appId>-<i>` and writing `<output>-<i>`.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PeerRunError } from '../kafka-input.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The queries @kafkats/flow can express (see flow-child.ts for why not the others). */
export const KAFKATS_FLOW_QUERIES = ['q0', 'q1', 'q2', 'q14', 'q17', 'q18', 'q22'];

export interface FlowTiming {
  readonly seconds: number;
  readonly cpu_seconds: number;
}

export function runKafkatsFlow(bootstrap: string, input: string, query: string, output: string, appId: string, repeats: number, cpu?: string): FlowTiming[] {
  const out: FlowTiming[] = [];
  for (let i = 0; i < repeats; i++) {
    const node = [process.execPath, '--import', 'tsx', join(here, 'flow-child.ts'), bootstrap, input, query, `${output}-${i}`, `${appId}-${i}`];
    const r = cpu ? spawnSync('taskset', ['-c', cpu, ...node], { encoding: 'utf8' }) : spawnSync(node[0]!, node.slice(1), { encoding: 'utf8' });
    if (r.status !== 0) throw new PeerRunError(`@kafkats/flow ${query} failed (${r.status}): ${(r.stderr ?? '').trim().split('\n').slice(-6).join(' | ')}`);
    out.push(JSON.parse(r.stdout.trim().split('\n').at(-1)!) as FlowTiming);
  }
  return out;
}
