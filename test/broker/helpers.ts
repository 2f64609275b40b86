import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type Broker, type BrokerLogger, type BrokerOptions } from '../../src/broker/index.js';
import { silentLogger } from '../../src/log/index.js';
import {
  decodeResponseFrame,
  encodeRequestFrame,
  type RequestApiKey,
  type RequestTypes,
} from '../../src/protocol/index.js';

export function tempDir(prefix = 'tributary-broker-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A broker logger that keeps its lines (and prints them with TRIBUTARY_DEBUG=1). */
export function memoryBrokerLogger(): BrokerLogger & { lines: string[] } {
  const lines: string[] = [];
  const debug = process.env.TRIBUTARY_DEBUG === '1';
  const add = (l: string) => {
    lines.push(l);
    if (debug) process.stderr.write(`[broker] ${l}\n`);
  };
  return { lines, info: (m) => add(`info ${m}`), warn: (m) => add(`warn ${m}`) };
}

/** A broker on a free port and the given data directory, quiet, without background log jobs. */
export async function startTestBroker(dataDir: string, options: Partial<BrokerOptions> = {}): Promise<Broker & { logger: ReturnType<typeof memoryBrokerLogger> }> {
  const logger = memoryBrokerLogger();
  const broker = await startBroker({
    dataDir,
    port: 0,
    logger,
    ...options,
    logOptions: { logger: silentLogger, retentionCheckIntervalMs: 0, cleanerIntervalMs: 0, ...options.logOptions },
  });
  return Object.assign(broker, { logger });
}

export function commandExists(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

export function pythonModuleExists(module: string): boolean {
  return spawnSync('/usr/bin/python3', ['-c', `import ${module}`], { stdio: 'ignore' }).status === 0;
}

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion (killed after `timeoutMs`), feeding `input` on stdin. */
export function run(cmd: string, args: readonly string[], options: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/**
 * A bare protocol client for the tests that must send what no real client sends (bad frames,
 * unknown versions): frames in, frames out, nothing hidden.
 */
export class RawClient {
  private buffered = Buffer.alloc(0);
  private waiting: ((frame: Buffer | null) => void)[] = [];
  private frames: Buffer[] = [];
  closed = false;
  private correlation = 1;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, d]);
      while (this.buffered.length >= 4) {
        const size = this.buffered.readInt32BE(0);
        if (this.buffered.length < 4 + size) break;
        const frame = this.buffered.subarray(4, 4 + size);
        this.buffered = this.buffered.subarray(4 + size);
        const w = this.waiting.shift();
        if (w) w(frame);
        else this.frames.push(frame);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiting.splice(0)) w(null);
    });
  }

  /** A client over a socket made elsewhere (a TLS one, say); writes wait for it to connect. */
  static wrap(socket: Socket): RawClient {
    return new RawClient(socket);
  }

  /** The client id of the request headers this client writes. */
  clientId = 'raw-test';

  static connect(port: number, clientId = 'raw-test'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(Object.assign(new RawClient(s), { clientId })));
      s.once('error', reject);
    });
  }

  write(bytes: Buffer | readonly Buffer[]): void {
    for (const b of Buffer.isBuffer(bytes) ? [bytes] : bytes) this.socket.write(b);
  }

  /** The next response frame (without its size prefix), or null when the broker closed the connection. */
  next(timeoutMs = 10_000): Promise<Buffer | null> {
    const f = this.frames.shift();
    if (f) return Promise.resolve(f);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no response within ${timeoutMs} ms`)), timeoutMs);
      this.waiting.push((frame) => {
        clearTimeout(timer);
        resolve(frame);
      });
    });
  }

  /** Resolves true when the broker closes the connection within `timeoutMs`. */
  waitClosed(timeoutMs = 5_000): Promise<boolean> {
    if (this.closed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  encode<K extends RequestApiKey>(apiKey: K, apiVersion: number, body: RequestTypes[K], correlationId = this.correlation++): Buffer[] {
    return encodeRequestFrame({ apiKey, apiVersion, correlationId, clientId: this.clientId }, body);
  }

  /** Sends one request and decodes its response. */
  async request<K extends RequestApiKey>(apiKey: K, apiVersion: number, body: RequestTypes[K]) {
    const correlationId = this.correlation++;
    this.write(this.encode(apiKey, apiVersion, body, correlationId));
    const frame = await this.next();
    if (frame === null) throw new Error(`connection closed instead of answering api ${apiKey} v${apiVersion}`);
    const decoded = decodeResponseFrame(frame, apiKey, apiVersion);
    if (decoded.correlationId !== correlationId) throw new Error(`correlation id ${decoded.correlationId}, expected ${correlationId}`);
    return decoded.body;
  }

  close(): void {
    this.socket.destroy();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` every 50 ms until it returns true (test-side waiting for a client's background work). */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
