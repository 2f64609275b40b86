/**
 * CPU-seconds of a process's threads so far, summed per thread name (Linux /proc/<pid>/task):
 * where a process's CPU goes (Node: its main thread apart from V8's GC and compiler workers and
 * libuv's pool, all called "node"; a JVM: GC, compilers, Kafka's network and request handler
 * threads). Digits in names are dropped so that the threads of one pool add up.
 */
import { readFileSync, readdirSync } from 'node:fs';

const CLOCK_TICKS_PER_SEC = 100; // Linux USER_HZ

/** utime + stime in seconds from the text of a /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat. */
export function statCpuSeconds(stat: string): number {
  // Fields after the command name (which may hold spaces), from the state on: utime and stime are the 12th and 13th.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS_PER_SEC;
}

export function threadCpu(pid: number | 'self' = 'self'): Record<string, number> {
  const out: Record<string, number> = {};
  const main = pid === 'self' ? String(process.pid) : String(pid);
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out; // the process is gone
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // Node's worker threads are all called "node": the main thread is told apart by its id.
      const name = tid === main ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/[0-9]+/g, '');
      out[name] = (out[name] ?? 0) + statCpuSeconds(stat);
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** What each thread name used between two samples, rounded to 0.01 s; names that used nothing are left out. */
export function threadCpuDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, sec] of Object.entries(after)) {
    const d = Math.round((sec - (before[name] ?? 0)) * 100) / 100;
    if (d > 0) out[name] = d;
  }
  return out;
}
