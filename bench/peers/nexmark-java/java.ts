/**
 * Build (once, cached) and run the Java port of Beam's Nexmark generator in this folder.
 *
 * It has no dependencies, so plain `javac` builds it; the classes go to
 * <cache>/nexmark-java/<hash of the source>/classes, where <cache> is $TRIBUTARY_CACHE,
 * $XDG_CACHE_HOME/tributary or ~/.cache/tributary (as scripts/kafka uses), so a source change
 * rebuilds and an unchanged one never does. pom.xml builds the same class with Maven.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
export const NEXMARK_JAVA_SOURCE = join(HERE, 'src', 'main', 'java', 'dev', 'tributary', 'nexmark', 'NexmarkJavaGenerator.java');
export const NEXMARK_JAVA_MAIN = 'dev.tributary.nexmark.NexmarkJavaGenerator';

function cacheRoot(): string {
  const env = process.env;
  if (env.TRIBUTARY_CACHE) return env.TRIBUTARY_CACHE;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'tributary');
  return join(homedir(), '.cache', 'tributary');
}

function javaHomeBin(tool: string): string {
  const jh = process.env.JAVA_HOME;
  if (jh && existsSync(join(jh, 'bin', tool))) return join(jh, 'bin', tool);
  return tool;
}

/** Java's major version, or undefined when `java` does not run. */
function javaMajor(java: string): number | undefined {
  const r = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  const m = /version "(\d+)(?:\.(\d+))?/.exec(r.stderr);
  if (!m) return undefined;
  const major = Number(m[1]);
  return major === 1 ? Number(m[2]) : major;
}

export type JavaAvailability = { ok: true; java: string; classpath: string } | { ok: false; why: string };

/** Compile the port if its classes are not cached yet; say why not when java/javac are missing. */
export function ensureNexmarkJava(): JavaAvailability {
  const java = javaHomeBin('java');
  const major = javaMajor(java);
  if (major === undefined) return { ok: false, why: 'java not found (install a JDK 17+, e.g. `apt-get install openjdk-17-jdk-headless`)' };
  if (major < 17) return { ok: false, why: `java ${major} found, the port needs 17+` };
  const source = readFileSync(NEXMARK_JAVA_SOURCE);
  const hash = createHash('sha256').update(source).update(String(major)).digest('hex').slice(0, 16);
  const dir = join(cacheRoot(), 'nexmark-java', hash);
  const classes = join(dir, 'classes');
  const marker = join(dir, 'complete');
  if (existsSync(marker)) return { ok: true, java, classpath: classes };
  const javac = javaHomeBin('javac');
  const probe = spawnSync(javac, ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    return { ok: false, why: 'javac not found (the port is compiled once; install a JDK 17+, not only a JRE)' };
  }
  mkdirSync(dir, { recursive: true });
  const tmp = `${classes}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const r = spawnSync(javac, ['-encoding', 'UTF-8', '--release', '17', '-d', tmp, NEXMARK_JAVA_SOURCE], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`javac failed on ${NEXMARK_JAVA_SOURCE}:\n${r.stderr}`);
  }
  rmSync(classes, { recursive: true, force: true });
  renameSync(tmp, classes);
  writeFileSync(marker, `${new Date().toISOString()}\n`);
  return { ok: true, java, classpath: classes };
}

/** Run the port with key=value arguments; resolves to its stdout (JSON lines). */
export function runNexmarkJava(avail: { java: string; classpath: string }, args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(avail.java, ['-Xss4m', '-XX:+UseSerialGC', '-cp', avail.classpath, NEXMARK_JAVA_MAIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`nexmark-java ${args.join(' ')} exited ${code}: ${Buffer.concat(err).toString()}`));
    });
  });
}
