// Test applications run as child processes (crash, zombie and scale-out tests): one way to start
// a fixture under tsx and learn when it is ready (it prints READY) and how it ended.
import { spawn, type ChildProcess } from 'node:child_process';

export interface FixtureProcess {
  readonly child: ChildProcess;
  /** true once the fixture printed READY; false when it exited before. */
  readonly ready: Promise<boolean>;
  /** The exit code (null when killed by a signal). */
  readonly exit: Promise<number | null>;
  /** What it wrote to stdout so far (and stderr too, with `mergeStderr`). */
  out(): string;
  /** What it wrote to stderr so far. */
  err(): string;
}

export interface FixtureOptions {
  /** Append stderr to out() as well (for tests that print one transcript on failure). */
  mergeStderr?: boolean;
  /** Write stderr to the test's stderr when the fixture exits with a non-zero code (default true). */
  reportFailure?: boolean;
}

/** Starts `node --import tsx <fixture> ...args`. */
export function spawnFixture(fixture: string, args: readonly string[], options: FixtureOptions = {}): FixtureProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let onReady: (v: boolean) => void = () => {};
  const ready = new Promise<boolean>((r) => (onReady = r));
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('READY')) onReady(true);
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    if (options.mergeStderr) out += d.toString();
  });
  const exit = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      onReady(false);
      if (code !== 0 && code !== null && options.reportFailure !== false) process.stderr.write(`fixture exited ${code}: ${err}\n`);
      resolve(code);
    }),
  );
  return { child, ready, exit, out: () => out, err: () => err };
}
