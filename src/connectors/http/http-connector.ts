import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { TributaryError } from '../../records/errors.js';
import { JsonRecordWriter } from '../files/json-records.js';
import type { Log } from '../log.js';
import { bearerToken, bindingProblem, tokenMatches } from './access.js';
import { RecordAppender } from './appender.js';
import { bodyFormat, parseBody } from './body-parser.js';
import { BadRequestBodyError } from './errors.js';
import { LiveSubscription, type LiveEvent, type SubscriptionStart } from './live-subscription.js';

export interface HttpConnectorOptions {
  readonly log: Log;
  /** Default 0: a free port (see `port` after start()). */
  readonly port?: number;
  /** Default 127.0.0.1. Any other address requires `token`. */
  readonly host?: string;
  /**
   * Required on every request when set (`Authorization: Bearer <token>`, or `?token=` for
   * EventSource and WebSocket clients), and required when `host` is not loopback: POSTs write data.
   */
  readonly token?: string;
  /** Topics that may be written and read; default every topic. */
  readonly topics?: readonly string[];
  /** Create a topic on its first POST with this many partitions; default: unknown topics are 404. */
  readonly createTopicPartitions?: number;
  /** Default key field for POSTed records (a request's `?key=` overrides). */
  readonly keyField?: string;
  /** Bytes of request bodies being received or written at once; above it POSTs get 429. Default 16 MiB. */
  readonly maxInFlightBytes?: number;
  /** Largest body accepted (413 above). Default 4 MiB. */
  readonly maxBodyBytes?: number;
  /** Retry-After of a 429, in seconds. Default 1. */
  readonly retryAfterSeconds?: number;
  /** Live streams: a comment line this often keeps proxies from closing idle streams. Default 15 s. */
  readonly heartbeatMs?: number;
}

export interface HttpConnectorStats {
  accepted: number;
  records: number;
  rejected: number;
  throttled: number;
  subscribers: number;
}

/**
 * HTTP in and out of the log: `POST /topics/<topic>` writes JSON records (answering once they
 * are durable, with their offsets), `GET /topics/<topic>/events` streams a topic as
 * Server-Sent Events and `GET /topics/<topic>/ws` as WebSocket messages, for dashboards.
 * Backpressure: the bytes of bodies in flight are bounded; over the bound a POST is refused at
 * once with 429 and Retry-After (before its body is read), so a flood cannot grow memory.
 */
export class HttpConnector {
  readonly stats: HttpConnectorStats = { accepted: 0, records: 0, rejected: 0, throttled: 0, subscribers: 0 };
  private server: Server | null = null;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly appender: RecordAppender;
  private readonly subscriptions = new Set<LiveSubscription>();
  private inFlight = 0;
  private partitionsCache = new Map<string, number>();
  private _port = 0;

  constructor(private readonly options: HttpConnectorOptions) {
    this.appender = new RecordAppender(options.log);
  }

  get port(): number {
    return this._port;
  }

  get url(): string {
    return `http://${this.options.host ?? '127.0.0.1'}:${this._port}`;
  }

  /** Bytes of request bodies currently in flight. */
  get inFlightBytes(): number {
    return this.inFlight;
  }

  async start(): Promise<void> {
    const problem = bindingProblem(this.options.host ?? '127.0.0.1', this.options.token);
    if (problem !== null) throw new TributaryError('INVALID_CONFIG', `the HTTP connector cannot bind to ${this.options.host}: ${problem}`);
    const server = createServer((req, res) => {
      this.route(req, res).catch((e) => this.fail(res, e));
    });
    server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => resolve());
    });
    this.server = server;
    this._port = (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.subscriptions) s.close();
    for (const c of this.wss.clients) c.terminate();
    this.wss.close();
    const server = this.server;
    this.server = null;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await this.appender.close();
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    // Refused before a body is read; the connection closes, since the body is left unread.
    if (!this.authorized(req, url)) return this.send(res, 401, { error: 'a token is required: Authorization: Bearer <token>, or ?token=<token>' }, true);
    const m = /^\/topics\/([^/]+)(\/events)?\/?$/.exec(url.pathname);
    if (!m) return this.send(res, 404, { error: `no route for ${req.method} ${url.pathname}` });
    const topic = decodeURIComponent(m[1]!);
    if (this.options.topics && !this.options.topics.includes(topic)) return this.send(res, 404, { error: `topic ${topic} is not served here` });
    if (m[2]) {
      if (req.method !== 'GET') return this.send(res, 405, { error: 'use GET for events' });
      return this.serveEvents(req, res, topic, url);
    }
    if (req.method !== 'POST') return this.send(res, 405, { error: 'use POST to write records' });
    return this.ingest(req, res, topic, url);
  }

  private async ingest(req: IncomingMessage, res: ServerResponse, topic: string, url: URL): Promise<void> {
    const format = bodyFormat(req.headers['content-type']);
    if (!format) {
      this.stats.rejected++;
      return this.send(res, 415, { error: `unsupported content type ${req.headers['content-type']}: use application/json or application/x-ndjson` });
    }
    const maxBody = this.options.maxBodyBytes ?? 4 * 1024 * 1024;
    const declared = req.headers['content-length'] === undefined ? -1 : Number(req.headers['content-length']);
    if (declared > maxBody) {
      this.stats.rejected++;
      return this.send(res, 413, { error: `the body (${declared} bytes) is larger than ${maxBody} bytes` }, true);
    }
    // Reserve the declared size up front (or grow the reservation as a chunked body arrives).
    let reserved = 0;
    const reserve = (n: number): boolean => {
      if (this.inFlight + n > (this.options.maxInFlightBytes ?? 16 * 1024 * 1024) && (this.inFlight > 0 || reserved > 0)) return false;
      this.inFlight += n;
      reserved += n;
      return true;
    };
    if (!reserve(Math.max(declared, 0))) return this.throttle(res);
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > maxBody) {
          this.stats.rejected++;
          return this.send(res, 413, { error: `the body is larger than ${maxBody} bytes` }, true);
        }
        if (size > reserved && !reserve(size - reserved)) return this.throttle(res);
        chunks.push(chunk);
      }
      let values: unknown[];
      try {
        values = parseBody(Buffer.concat(chunks), format);
      } catch (e) {
        if (!(e instanceof BadRequestBodyError)) throw e;
        this.stats.rejected++;
        return this.send(res, 400, { error: e.message, ...e.at });
      }
      const partitions = await this.partitionsOf(topic);
      if (partitions === null) {
        this.stats.rejected++;
        return this.send(res, 404, { error: `topic ${topic} does not exist` });
      }
      const writer = new JsonRecordWriter(topic, partitions, url.searchParams.get('key') ?? this.options.keyField);
      const now = Date.now();
      const offsets = await this.appender.append(values.map((v) => writer.record(v, now)));
      this.stats.accepted++;
      this.stats.records += values.length;
      return this.send(res, 201, { topic, count: values.length, offsets: offsets && offsets.sort((a, b) => a.partition - b.partition) });
    } finally {
      this.inFlight -= reserved;
    }
  }

  private throttle(res: ServerResponse): void {
    this.stats.throttled++;
    res.setHeader('Retry-After', String(this.options.retryAfterSeconds ?? 1));
    // Connection: close — the unread body would otherwise have to be drained first.
    this.send(res, 429, { error: 'too many bytes in flight; retry later' }, true);
  }

  private async partitionsOf(topic: string): Promise<number | null> {
    const known = this.partitionsCache.get(topic);
    if (known !== undefined) return known;
    let info = (await this.options.log.describeTopics([topic])).get(topic);
    if (!info && this.options.createTopicPartitions !== undefined) {
      await this.options.log.createTopics([{ name: topic, partitions: this.options.createTopicPartitions }]);
      info = (await this.options.log.describeTopics([topic])).get(topic);
    }
    if (!info) return null;
    this.partitionsCache.set(topic, info.partitions);
    return info.partitions;
  }

  private startOf(req: IncomingMessage, url: URL): SubscriptionStart {
    const from = url.searchParams.get('from');
    const header = req.headers['last-event-id'];
    return {
      from: from === 'earliest' ? 'earliest' : 'latest',
      lastEventId: (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('lastEventId') ?? undefined,
    };
  }

  private async serveEvents(req: IncomingMessage, res: ServerResponse, topic: string, url: URL): Promise<void> {
    const sub = new LiveSubscription(this.options.log, topic);
    try {
      await sub.open(this.startOf(req, url));
    } catch (e) {
      if (e instanceof BadRequestBodyError) return this.send(res, /does not exist/.test(e.message) ? 404 : 400, { error: e.message });
      throw e;
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    res.write(': subscribed\n\n');
    await this.pump(sub, () => res.destroyed || res.writableEnded, async (events) => {
      const text = events.map(sse).join('');
      if (!res.write(text)) await new Promise<void>((resolve) => res.once('drain', resolve).once('close', resolve));
    }, () => void res.write(': keepalive\n\n'));
    res.end();
  }

  private authorized(req: IncomingMessage, url: URL): boolean {
    const token = this.options.token;
    return token === undefined || token.length === 0 || tokenMatches(token, bearerToken(req, url));
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://x');
    if (!this.authorized(req, url)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      return;
    }
    const m = /^\/topics\/([^/]+)\/ws\/?$/.exec(url.pathname);
    const topic = m ? decodeURIComponent(m[1]!) : '';
    if (!m || (this.options.topics && !this.options.topics.includes(topic))) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    const sub = new LiveSubscription(this.options.log, topic);
    sub.open(this.startOf(req, url)).then(
      () =>
        this.wss.handleUpgrade(req, socket, head, (ws) => {
          void this.pump(sub, () => ws.readyState !== ws.OPEN, (events) => wsSend(ws, events), () => ws.ping());
          ws.on('close', () => sub.close());
        }),
      (e: unknown) => {
        const status = e instanceof BadRequestBodyError ? (/does not exist/.test(e.message) ? '404 Not Found' : '400 Bad Request') : '500 Internal Server Error';
        socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
      },
    );
  }

  /** Moves events from a subscription to a subscriber until it goes away or the server closes. */
  private async pump(sub: LiveSubscription, gone: () => boolean, deliver: (events: LiveEvent[]) => Promise<void>, heartbeat: () => void): Promise<void> {
    this.subscriptions.add(sub);
    this.stats.subscribers++;
    const beat = setInterval(heartbeat, this.options.heartbeatMs ?? 15_000);
    try {
      while (!gone() && this.server) {
        const events = await sub.next(1000);
        if (events.length > 0 && !gone()) await deliver(events);
      }
    } finally {
      clearInterval(beat);
      sub.close();
      this.subscriptions.delete(sub);
      this.stats.subscribers--;
    }
  }

  private send(res: ServerResponse, status: number, body: unknown, close = false): void {
    if (res.headersSent) return void res.end();
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...(close ? { Connection: 'close' } : {}) });
    res.end(text);
  }

  private fail(res: ServerResponse, e: unknown): void {
    const code = e instanceof TributaryError ? e.code : 'UNKNOWN_SERVER_ERROR';
    this.send(res, 500, { error: (e as Error).message, code });
  }
}

/** One event in Server-Sent Events framing; the id lets EventSource resume with Last-Event-ID. */
function sse(e: LiveEvent): string {
  return `id: ${e.id}\nevent: record\ndata: ${JSON.stringify({ partition: e.partition, offset: e.offset, timestamp: e.timestamp, key: e.key, value: e.value })}\n\n`;
}

async function wsSend(ws: WebSocket, events: LiveEvent[]): Promise<void> {
  for (const e of events) ws.send(JSON.stringify(e));
  // A slow reader: wait until its buffer drains instead of buffering the topic in memory.
  while (ws.bufferedAmount > 1024 * 1024 && ws.readyState === ws.OPEN) await new Promise((r) => setTimeout(r, 20));
}
