import type { Socket } from 'node:net';
import {
  ApiKeys,
  UnsupportedVersionError,
  decodeRequestFrameBody,
  encodeApiVersionsFallbackResponse,
  encodeResponseFrame,
  readRequestFrameHeader,
  type DecodedRequest,
  type RequestHeader,
} from '../protocol/index.js';
import { CloseConnection, NO_RESPONSE, type BrokerServices, type ConnectionState, type RequestContext } from './context.js';
import type { Dispatcher } from './dispatcher.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { SaslAuthenticationError } from './security/errors.js';
import { certificatePrincipal } from './security/listener.js';
import { authorizeRequest } from './security/request-authorization.js';

/** Stop reading from a client that has this many requests queued (pipelined) behind the one running. */
const MAX_QUEUED_REQUESTS = 128;
/** ... or this many bytes of queued requests. */
const MAX_QUEUED_BYTES = 64 * 1024 * 1024;
/** Stop taking requests while this many response bytes wait in the socket (a client that does not read). */
const MAX_UNSENT_BYTES = 16 * 1024 * 1024;

const EMPTY = Buffer.alloc(0);

/** APIs a client may use before SASL authentication, as in Kafka. */
const PRE_AUTH_APIS: ReadonlySet<number> = new Set([ApiKeys.ApiVersions, ApiKeys.SaslHandshake, ApiKeys.SaslAuthenticate]);

/**
 * One client connection: splits the byte stream into frames (never allocating more than what
 * arrived; a declared size above the maximum closes the connection at once), runs the requests one
 * after another in arrival order - as a Kafka broker does - and writes the responses in that same
 * order. A handler may `unblock()` the next request before it finishes (a Produce waiting for its
 * fsync); responses still leave in request order. A long-polling Fetch holds the requests behind
 * it, as in Kafka, and ends when the connection closes.
 */
export class Connection {
  readonly state: ConnectionState;
  private readonly abort = new AbortController();
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly frames: Buffer[] = [];
  private queuedBytes = 0;
  private running = false;
  private paused = false;
  /** Muted for a quota's throttle time (KIP-219): no request is read until this time (Date.now()). */
  private mutedUntil = 0;
  private closed = false;
  /** Resolves once every response so far is handed to the socket, in order. */
  private writeChain: Promise<void> = Promise.resolve();
  /** The requests still running or waiting to be written (tests and close wait on it). */
  private pending = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly socket: Socket,
    private readonly broker: BrokerServices,
    private readonly dispatcher: Dispatcher,
    id: number,
    private readonly onClosed: (c: Connection) => void,
  ) {
    const address = socket.remoteAddress ?? 'unknown';
    const clientAddress = address.startsWith('::ffff:') ? address.slice(7) : address;
    this.state = {
      id,
      clientHost: `/${clientAddress}`,
      clientAddress,
      signal: this.abort.signal,
      saslMechanism: null,
      authenticated: !broker.security.saslRequired,
      // mTLS: the certificate's CN, until SASL (if any) says who the client is.
      principal: certificatePrincipal(socket),
      saslRawTokens: false,
      saslSession: null,
    };
    // connections.max.idle.ms: the socket's own inactivity timer; a connection busy with a long poll is left alone.
    socket.setTimeout(broker.security.idleTimeoutMs);
    socket.on('timeout', () => {
      if (this.pending === 0 && !this.running && this.frames.length === 0) {
        this.broker.logger.info(`connection ${this.state.id} from ${this.state.clientHost}: idle for ${broker.security.idleTimeoutMs} ms; closing it`);
        this.destroy();
      } else {
        socket.setTimeout(broker.security.idleTimeoutMs);
      }
    });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      broker.stats.bytesIn += chunk.length;
      try {
        this.onData(chunk);
      } catch (e) {
        this.fail('reading a frame', e);
      }
    });
    socket.on('error', () => {
      // 'close' follows; a reset by the client is not the broker's problem.
    });
    socket.on('close', () => this.onClose());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Drops the connection now: running long polls end, queued requests are not answered. */
  destroy(): void {
    if (this.closed) return;
    this.socket.destroy();
    this.onClose();
  }

  /** A bug of ours met on this connection: it is dropped, the broker carries on. */
  private fail(what: string, e: unknown): void {
    this.broker.logger.warn(`connection ${this.state.id} from ${this.state.clientHost}: unexpected error ${what}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}; closing it`);
    this.destroy();
  }

  /** Resolves when nothing is running or waiting to be written. */
  idle(): Promise<void> {
    if (this.pending === 0 && !this.running && (this.frames.length === 0 || this.closed)) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort(new CloseConnection('connection closed'));
    this.frames.length = 0;
    this.chunks = [];
    this.buffered = 0;
    this.onClosed(this);
    this.checkIdle();
  }

  // ---------------------------------------------------------------------------------------------
  // framing

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= 4) {
      const size = this.peekSize();
      if (size < 0 || size > this.broker.config.maxFrameBytes) {
        this.broker.logger.warn(
          `connection ${this.state.id} from ${this.state.clientHost}: frame size ${size} outside [0, ${this.broker.config.maxFrameBytes}]; closing it`,
        );
        this.destroy();
        return;
      }
      if (this.buffered < 4 + size) break;
      this.take(4);
      const frame = this.take(size);
      this.frames.push(frame);
      this.queuedBytes += frame.length;
    }
    if (!this.paused && (this.frames.length >= MAX_QUEUED_REQUESTS || this.queuedBytes >= MAX_QUEUED_BYTES)) {
      this.paused = true;
      this.socket.pause();
    }
    void this.pump();
  }

  private peekSize(): number {
    let first = this.chunks[0]!;
    if (first.length < 4) {
      // A size prefix split across reads: join just enough chunks.
      let n = 0;
      let k = 0;
      while (n < 4) n += this.chunks[k++]!.length;
      first = Buffer.concat(this.chunks.slice(0, k), n);
      this.chunks.splice(0, k, first);
    }
    return first.readInt32BE(0);
  }

  /** Removes the next `n` buffered bytes (a view when they sit in one chunk, else one copy). */
  private take(n: number): Buffer {
    if (n === 0) return EMPTY;
    const first = this.chunks[0]!;
    this.buffered -= n;
    if (first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - at);
      c.copy(out, at, 0, k);
      at += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // requests

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (!this.closed && this.frames.length > 0) {
        const frame = this.frames.shift()!;
        this.queuedBytes -= frame.length;
        if (this.paused && this.frames.length < MAX_QUEUED_REQUESTS / 2 && this.queuedBytes < MAX_QUEUED_BYTES / 2) {
          this.paused = false;
          this.socket.resume();
        }
        try {
          await this.process(frame);
        } catch (e) {
          this.fail('processing a request', e);
          break;
        }
        if (this.mutedUntil > Date.now()) await this.mute();
        if (!this.closed && this.socket.writableLength > MAX_UNSENT_BYTES) {
          await new Promise<void>((resolve) => {
            const done = () => {
              this.socket.off('drain', done);
              this.socket.off('close', done);
              resolve();
            };
            this.socket.on('drain', done);
            this.socket.on('close', done);
          });
        }
      }
    } finally {
      this.running = false;
      this.checkIdle();
    }
  }

  /**
   * A client over its quota: its response went out with throttle_time_ms, and the channel now reads
   * nothing until that time has passed (Kafka's KIP-219), so a client that ignores the hint is slowed
   * down anyway. Other connections are not affected.
   */
  private async mute(): Promise<void> {
    this.socket.pause();
    try {
      await sleep(this.mutedUntil - Date.now(), undefined, { signal: this.abort.signal });
    } catch {
      // closed while muted
    }
    if (!this.paused && !this.closed) this.socket.resume();
  }

  private checkIdle(): void {
    if (this.pending !== 0 || this.running) return;
    if (this.frames.length !== 0 && !this.closed) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Runs one request; resolves when the next may start (its handler finished or unblocked). */
  private async process(frame: Buffer): Promise<void> {
    if (this.state.saslRawTokens) {
      await this.processRawSaslToken(frame);
      return;
    }
    let header: RequestHeader;
    let request: DecodedRequest;
    try {
      const h = readRequestFrameHeader(frame);
      header = h.header;
      try {
        request = decodeRequestFrameBody(header, h.r);
      } catch (e) {
        if (e instanceof UnsupportedVersionError && header.apiKey === ApiKeys.ApiVersions) {
          // KIP-511: answer in the v0 layout with the ApiVersions versions, so the client retries.
          const range = this.dispatcher.range(ApiKeys.ApiVersions)!;
          this.respond(Promise.resolve([encodeApiVersionsFallbackResponse(header.correlationId, range)]), 'ApiVersions');
          return;
        }
        throw e;
      }
    } catch (e) {
      // Kafka closes a connection that sends a request it cannot parse.
      this.broker.logger.warn(`connection ${this.state.id} from ${this.state.clientHost}: ${describe(e)}; closing it`);
      this.destroy();
      return;
    }
    const handler = this.dispatcher.handlerFor(header.apiKey, header.apiVersion);
    if (handler === undefined) {
      this.broker.logger.warn(
        `connection ${this.state.id} from ${this.state.clientHost}: api key ${header.apiKey} version ${header.apiVersion} is not served; closing it`,
      );
      this.destroy();
      return;
    }
    if (!this.state.authenticated && !PRE_AUTH_APIS.has(header.apiKey)) {
      this.broker.logger.warn(`connection ${this.state.id} from ${this.state.clientHost}: api key ${header.apiKey} before SASL authentication; closing it`);
      this.destroy();
      return;
    }

    let unblock!: () => void;
    const unblocked = new Promise<void>((resolve) => (unblock = resolve));
    const ctx: RequestContext = {
      broker: this.broker,
      connection: this.state,
      header,
      apiVersion: header.apiVersion,
      clientId: header.clientId ?? '',
      unblock,
    };
    const started = performance.now();
    const quotas = this.broker.security.quotas;
    // Produce quotas count request bytes, known now; fetch quotas count response bytes (below).
    const produceThrottleMs = quotas !== null && header.apiKey === ApiKeys.Produce ? quotas.recordProduce(ctx.clientId, frame.length) : 0;
    if (produceThrottleMs > 0) this.mutedUntil = Date.now() + produceThrottleMs;
    // ACLs: a request is cut down to what the principal may do, the handler runs on the rest, and
    // the refused parts come back with their *_AUTHORIZATION_FAILED codes.
    const authz = this.broker.security.authorizer.enabled ? authorizeRequest(ctx, header.apiKey, request.body) : null;
    const handled = (async () => {
      if (authz?.reject instanceof Error) throw authz.reject;
      if (authz?.reject !== undefined) return authz.reject;
      const body = await (handler.handle as (c: RequestContext, b: unknown) => unknown)(ctx, authz?.body ?? request.body);
      return authz?.merge !== undefined && body !== NO_RESPONSE ? authz.merge(body) : body;
    })();
    const stats = this.broker.stats;
    handled.then(
      () => stats.request(header.apiKey, performance.now() - started, false),
      () => stats.request(header.apiKey, performance.now() - started, true),
    );
    const response = handled.then((body) => {
      if (body === NO_RESPONSE) return null;
      if (produceThrottleMs > 0 && header.apiVersion >= 1) (body as { throttleTimeMs: number }).throttleTimeMs = produceThrottleMs;
      const frameOut = encodeResponseFrame(header.apiKey as never, header.apiVersion, header.correlationId, body as never);
      if (quotas === null || header.apiKey !== ApiKeys.Fetch) return frameOut;
      let bytes = 0;
      for (const c of frameOut) bytes += c.length;
      const throttleMs = quotas.recordFetch(ctx.clientId, bytes);
      if (throttleMs <= 0) return frameOut;
      this.mutedUntil = Math.max(this.mutedUntil, Date.now() + throttleMs);
      if (header.apiVersion < 1) return frameOut;
      // Rare (only when throttled): encode again with the throttle time; the records are not copied.
      (body as { throttleTimeMs: number }).throttleTimeMs = throttleMs;
      return encodeResponseFrame(header.apiKey as never, header.apiVersion, header.correlationId, body as never);
    });
    this.respond(response, `api key ${header.apiKey} v${header.apiVersion}`);
    await Promise.race([handled.then(noop, noop), unblocked]);
  }

  /**
   * Queues a response behind every earlier one: it is written when it is ready and all before it
   * are written. null: nothing to write. A rejection drops the connection (logged unless it is a
   * CloseConnection).
   */
  private respond(response: Promise<readonly Buffer[] | null>, what: string): void {
    this.pending++;
    const previous = this.writeChain;
    this.writeChain = (async () => {
      try {
        const chunks = await response;
        await previous;
        if (chunks !== null) this.write(chunks);
      } catch (e) {
        if (!(e instanceof CloseConnection) && !this.closed) {
          this.broker.logger.warn(`connection ${this.state.id} from ${this.state.clientHost}: ${what} failed: ${describe(e)}; closing it`);
        }
        this.destroy();
      } finally {
        this.pending--;
        this.checkIdle();
      }
    })();
  }

  /**
   * After SaslHandshake v0 the client sends its SASL tokens as bare size-prefixed frames and gets
   * the server's tokens back the same way (PLAIN: one empty token; SCRAM: server-first, server-final).
   * A failed authentication closes the connection, as Kafka does for this legacy framing.
   */
  private async processRawSaslToken(frame: Buffer): Promise<void> {
    const session = this.state.saslSession;
    if (session === null) {
      this.destroy();
      return;
    }
    try {
      const step = await session.step(frame);
      const size = Buffer.allocUnsafe(4);
      size.writeInt32BE(step.response.length, 0);
      this.respond(Promise.resolve([size, step.response]), 'SASL token');
      if (step.user !== null) {
        this.state.saslRawTokens = false;
        this.state.saslSession = null;
        this.state.authenticated = true;
        this.state.principal = `User:${step.user}`;
      }
    } catch (e) {
      if (!(e instanceof SaslAuthenticationError)) throw e;
      this.broker.logger.warn(`connection ${this.state.id} from ${this.state.clientHost}: SASL/${session.mechanism} authentication failed: ${e.message}; closing it`);
      this.destroy();
    }
  }

  private write(chunks: readonly Buffer[]): void {
    if (this.closed) return;
    for (let i = 0; i < chunks.length; i++) this.broker.stats.bytesOut += chunks[i]!.length;
    if (chunks.length === 1) {
      this.socket.write(chunks[0]!);
      return;
    }
    this.socket.cork();
    for (const c of chunks) this.socket.write(c);
    this.socket.uncork();
  }
}

function noop(): void {}

function describe(e: unknown): string {
  if (e instanceof Error) return `${(e as { code?: unknown }).code ?? e.name}: ${e.message}`;
  return String(e);
}
