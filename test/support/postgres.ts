// Test helper: a private PostgreSQL server (Debian's `postgresql` package) in a temp dir on a
// free loopback port, started for a test file and stopped after it.
//
//   const avail = postgresAvailable();
//   test('...', { skip: avail.ok ? false : avail.why }, async (t) => {
//     const pg = await startPostgres();
//     t.after(() => pg.stop());
//     const client = new pg.Client(pg.url) ...
//   });
//
// initdb refuses to run as root, so when this process is root the server runs as the `postgres`
// system user (or `nobody`) through runuser, and its temp dir is handed to that user.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface PostgresServer {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** Stops the server at once (immediate mode) and removes its directory. */
  stop(): Promise<void>;
}

/** The directory holding initdb and pg_ctl: /usr/lib/postgresql/<newest>/bin, else PATH. */
export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return join(root, versions[0]!, 'bin');
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'pg_ctl')) && existsSync(join(dir, 'initdb'))) return dir;
  }
  return null;
}

/** The system user the server runs as when we are root (initdb refuses root). */
function serverUser(): { name: string; uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  for (const name of ['postgres', 'nobody']) {
    const r = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    if (r.status !== 0) continue;
    const g = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    return { name, uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
  }
  throw new Error('running as root and found neither a postgres nor a nobody user to run PostgreSQL as');
}

export function postgresAvailable(): { ok: boolean; why?: string } {
  if (!postgresBinDir()) return { ok: false, why: 'PostgreSQL is not installed (apt-get install postgresql)' };
  return { ok: true };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function run(bin: string, args: string[], user: string | null): void {
  const [cmd, argv] = user ? ['runuser', ['-u', user, '--', bin, ...args]] : [bin, args];
  execFileSync(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed');
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), 'tributary-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const dataDir = join(dir, 'data');
  run(join(bin, 'initdb'), ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync'], user?.name ?? null);
  // Another process may take the port between freePort() and the server's bind: retry a few times.
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    try {
      // fsync off: a test server's durability is not under test (the sink's transactions are).
      const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=40`;
      run(join(bin, 'pg_ctl'), ['-D', dataDir, '-o', opts, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start'], user?.name ?? null);
      const watchdog = stopWhenGone(join(bin, 'pg_ctl'), dataDir, dir, user?.name ?? null);
      let stopped = false;
      return {
        url: `postgres://postgres@127.0.0.1:${port}/postgres`,
        port,
        dataDir,
        async stop() {
          if (stopped) return;
          stopped = true;
          watchdog.kill();
          try {
            run(join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop'], user?.name ?? null);
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        },
      };
    } catch (e) {
      if (attempt >= 3) {
        rmSync(dir, { recursive: true, force: true });
        throw e;
      }
    }
  }
}

/**
 * A test process killed by a timeout or SIGKILL runs no cleanup: a small shell waits for it to
 * go away and then stops the server and removes its directory, so no PostgreSQL is left behind.
 */
function stopWhenGone(pgCtl: string, dataDir: string, dir: string, user: string | null): { kill: () => void } {
  const stop = user ? `runuser -u ${user} -- ${pgCtl}` : pgCtl;
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; ${stop} -D '${dataDir}' -m immediate stop >/dev/null 2>&1; rm -rf '${dir}'`;
  const child = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
  child.unref();
  return { kill: () => void child.kill('SIGKILL') };
}
