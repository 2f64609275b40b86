import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkBinding, isLoopback, requestToken, tokenMatches, TOKEN_COOKIE } from './auth.js';
import { assetFor } from './assets.js';
import { DashboardError } from './errors.js';
import { PrometheusExporter } from './prometheus.js';
import { Sampler, type Sample } from './sampler.js';
import { appSnapshot, brokerSnapshot, logSnapshot, type DashboardSources } from './sources.js';
import { FORWARDED_HEADER, groupStateOwner, listQueryableStores, queryState, stateJson, type StateOwnerLookup } from './state-query.js';
import { topologyGraph } from './topology-graph.js';

export interface DashboardOptions extends DashboardSources {
  /** 0: any free port. */
  readonly port?: number;
  /** Default 127.0.0.1. Anything else requires `token`. */
  readonly host?: string;
  /** Required on every request when set (Bearer header, ?token=, or the cookie the page sets). */
  readonly token?: string;
  /**
   * Interactive queries: who owns a store partition when several processes run. Default: the
   * application's consumer group (scale-out with RuntimeOptions.applicationServer; queries for other
   * processes' partitions are forwarded with this dashboard's token), else this process owns all.
   */
  readonly stateOwner?: StateOwnerLookup;
  /** How often the live charts get a point (ms); default 1000. */
  readonly sampleIntervalMs?: number;
}

export interface Dashboard {
  /** http://host:port/ (the page). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly sampler: Sampler;
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
} as const;

/**
 * Serves the dashboard of an application and/or a broker: the page and its assets (all local,
 * no CDN), `GET /metrics` (Prometheus), the JSON API under /api/ and a Server-Sent Events stream
 * of samples. Read-only: every route is GET; nothing changes data.
 *
 *   /api/overview        what is shown: application id, broker address, uptime
 *   /api/topology        the topology as nodes and edges (and its describe() text)
 *   /api/metrics         the current snapshot: per task, operator, input partition, store; broker
 *   /api/history         the last samples (the charts' history)
 *   /api/events          text/event-stream: one sample per interval
 *   /api/log             topics, partitions, offsets, consumer groups with lag
 *   /api/state           the queryable stores
 *   /api/state/<store>?key=K | ?from=A&to=B [&limit=N] [&partition=P[,Q...]]
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token !== undefined && options.token.length > 0 ? options.token : undefined;
  checkBinding(host, token);
  const sources: DashboardSources = { ...(options.app ? { app: options.app } : {}), ...(options.broker ? { broker: options.broker } : {}), ...(options.log ? { log: options.log } : {}) };
  const exporter = new PrometheusExporter();
  const sampler = new Sampler(sources, options.sampleIntervalMs ?? 1000);
  const streams = new Set<ServerResponse>();
  const started = Date.now();
  const stateOwner = options.stateOwner ?? (options.app ? groupStateOwner(options.app, token !== undefined ? { authorization: `Bearer ${token}` } : undefined) : undefined);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return json(res, 405, { error: 'METHOD_NOT_ALLOWED', message: 'the dashboard is read-only' });
    }
    if (!hostAllowed(req, host, token)) return json(res, 403, { error: 'FORBIDDEN_HOST', message: 'requests must name this host (a loopback name without a token)' });
    if (token !== undefined) {
      const given = requestToken(req, url);
      if (!tokenMatches(token, given)) return json(res, 401, { error: 'UNAUTHORIZED', message: 'a token is required: Authorization: Bearer <token>, or open the page with ?token=<token>' });
      if (url.searchParams.has('token')) res.setHeader('set-cookie', `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`);
    }
    const path = url.pathname;
    const asset = await assetFor(path);
    if (asset) {
      res.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : asset.body);
      return;
    }
    if (path === '/metrics') {
      const app = await appSnapshot(sources);
      const body = await exporter.render(app, brokerSnapshot(sources));
      res.writeHead(200, { 'content-type': exporter.contentType });
      res.end(body);
      return;
    }
    if (path === '/api/overview') {
      const rt = sources.app?.activeRuntime;
      return json(res, 200, {
        application: sources.app ? { applicationId: sources.app.applicationId, running: rt !== undefined && !rt.isFinished, processingGuarantee: rt?.exactlyOnce ? 'exactly-once' : 'at-least-once' } : null,
        broker: sources.broker ? { address: sources.broker.advertisedAddress, clusterId: sources.broker.clusterId } : null,
        uptimeMs: Date.now() - started,
        sampleIntervalMs: options.sampleIntervalMs ?? 1000,
      });
    }
    if (path === '/api/topology') {
      const rt = sources.app?.activeRuntime;
      const topology = rt?.topology ?? sources.app?.topology();
      if (!topology) return json(res, 404, { error: 'NO_APPLICATION', message: 'this dashboard shows no application' });
      return json(res, 200, { ...topologyGraph(topology), tasks: rt?.taskCounts ?? [] });
    }
    if (path === '/api/metrics') {
      const app = await appSnapshot(sources);
      return json(res, 200, { application: app ?? null, broker: brokerSnapshot(sources) ?? null });
    }
    if (path === '/api/history') return json(res, 200, { samples: sampler.history });
    if (path === '/api/log') {
      const view = logSnapshot(sources, await appSnapshot(sources));
      if (!view) return json(res, 404, { error: 'NO_LOG', message: 'this dashboard shows no log' });
      return json(res, 200, view);
    }
    if (path === '/api/events') return openStream(req, res);
    if (path === '/api/state' || path === '/api/state/') {
      if (!sources.app) return json(res, 404, { error: 'NO_APPLICATION', message: 'this dashboard shows no application' });
      return json(res, 200, { stores: listQueryableStores(sources.app) });
    }
    if (path.startsWith('/api/state/')) {
      if (!sources.app) return json(res, 404, { error: 'NO_APPLICATION', message: 'this dashboard shows no application' });
      const store = decodeURIComponent(path.slice('/api/state/'.length));
      const p = url.searchParams;
      const int = (name: string): number | undefined => {
        const v = p.get(name);
        if (v === null) return undefined;
        if (!/^\d+$/.test(v)) throw new DashboardError('BAD_QUERY', `${name} must be a non-negative integer, got '${v}'`);
        return Number(v);
      };
      const key = p.get('key');
      if (key !== null && (p.has('from') || p.has('to'))) throw new DashboardError('BAD_QUERY', 'give either key or from/to, not both');
      // One partition, or a list (what another process asks of this one, one request per owner).
      const partitionText = p.get('partition');
      if (partitionText !== null && !/^\d+(,\d+)*$/.test(partitionText)) throw new DashboardError('BAD_QUERY', `partition must be a non-negative integer or a comma-separated list of them, got '${partitionText}'`);
      const partitions = partitionText === null ? undefined : partitionText.split(',').map(Number);
      const limit = int('limit');
      const result = await queryState(
        sources.app,
        store,
        {
          ...(key !== null ? { key } : {}),
          ...(p.get('from') !== null ? { from: p.get('from')! } : {}),
          ...(p.get('to') !== null ? { to: p.get('to')! } : {}),
          ...(partitions !== undefined ? { partitions } : {}),
          ...(limit !== undefined ? { limit } : {}),
        },
        stateOwner,
        { forwarded: req.headers[FORWARDED_HEADER] === '1' },
      );
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      res.end(stateJson(result));
      return;
    }
    json(res, 404, { error: 'NOT_FOUND', message: `no route ${path}` });
  };

  const openStream = (req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write('retry: 2000\n\n');
    const send = (s: Sample) => res.write(`data: ${JSON.stringify(s)}\n\n`);
    const unsubscribe = sampler.subscribe(send);
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    keepAlive.unref();
    streams.add(res);
    const done = () => {
      clearInterval(keepAlive);
      unsubscribe();
      streams.delete(res);
    };
    req.on('close', done);
    res.on('close', done);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (e instanceof DashboardError) json(res, e.status, { error: e.code, message: e.message });
      else json(res, 500, { error: 'INTERNAL', message: e instanceof Error ? e.message : String(e) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  sampler.start();
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}/`,
    host,
    port,
    sampler,
    close() {
      closing ??= (async () => {
        for (const s of streams) s.end();
        await sampler.stop();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return closing;
    },
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/**
 * DNS rebinding: a web page on another site can resolve its own name to 127.0.0.1 and read a
 * loopback dashboard with the visitor's browser. Without a token only requests that name a
 * loopback host (or the bound address) are answered; with a token the token is the check.
 */
function hostAllowed(req: IncomingMessage, bound: string, token: string | undefined): boolean {
  if (token !== undefined) return true;
  const h = req.headers.host;
  if (h === undefined) return true;
  const name = h.startsWith('[') ? h.slice(1, h.indexOf(']')) : h.replace(/:\d+$/, '');
  return isLoopback(name) || name === bound;
}
