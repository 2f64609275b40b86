import type { MessagePort } from 'node:worker_threads';
import { TributaryError, type ErrorCode } from '../../records/errors.js';

/**
 * The messages between a worker thread's log (client.ts) and the thread that owns the embedded
 * log (server.ts), over a MessagePort. A request with id 0 is a notification: no reply. Ports
 * deliver in order, so a notification (assign, seek, a transaction's pending offsets) is applied
 * before any later request of the same worker.
 */
export interface Request {
  readonly id: number;
  readonly op: string;
  readonly args: readonly unknown[];
}

export interface Reply {
  readonly id: number;
  readonly value?: unknown;
  readonly error?: WireError;
}

/** An error as it crosses threads: its class name, Kafka error code and message. */
export interface WireError {
  readonly name: string;
  readonly code: string | undefined;
  readonly message: string;
}

export function toWireError(e: unknown): WireError {
  if (e instanceof Error) return { name: e.name, code: (e as { code?: unknown }).code as string | undefined, message: e.message };
  return { name: 'Error', code: undefined, message: String(e) };
}

/**
 * The error again on this side: a TributaryError with the same code (callers decide by code:
 * fencing, CONCURRENT_TRANSACTIONS retries), else a plain Error.
 */
export function fromWireError(w: WireError): Error {
  const e = w.code !== undefined ? new TributaryError(w.code as ErrorCode, w.message) : new Error(w.message);
  e.name = w.name;
  return e;
}

/**
 * The bytes of `b` in an ArrayBuffer of their own, to transfer: the original may be a slice of a
 * pool or of memory its owner keeps (a segment's read), which a transfer would take from it.
 */
export function detachedCopy(b: Uint8Array): ArrayBuffer {
  const ab = new ArrayBuffer(b.length);
  new Uint8Array(ab).set(b);
  return ab;
}

/** The requesting side of a port: calls with replies, and notifications. */
export class PortClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private closed = false;

  constructor(private readonly port: MessagePort) {
    port.on('message', (r: Reply) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (r.error) p.reject(fromWireError(r.error));
      else p.resolve(r.value);
    });
    port.on('close', () => this.fail(new TributaryError('NETWORK_EXCEPTION', 'the log thread closed its port')));
  }

  call<T>(op: string, args: readonly unknown[], transfer?: ArrayBuffer[]): Promise<T> {
    if (this.closed) return Promise.reject(new TributaryError('NETWORK_EXCEPTION', 'the port to the log thread is closed'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.port.postMessage({ id, op, args } satisfies Request, transfer);
    });
  }

  notify(op: string, args: readonly unknown[]): void {
    if (this.closed) return;
    this.port.postMessage({ id: 0, op, args } satisfies Request);
  }

  close(): void {
    this.fail(new TributaryError('NETWORK_EXCEPTION', 'the port to the log thread is closed'));
    this.port.close();
  }

  private fail(e: Error): void {
    this.closed = true;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}
