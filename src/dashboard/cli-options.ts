import { hostname } from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';
import { DashboardError } from './errors.js';
import { startDashboard, type Dashboard } from './server.js';
import type { DashboardSources } from './sources.js';

/** The dashboard options of `tributary demo`, `run` and `broker`. */
export interface DashboardCliOptions {
  uiPort?: number;
  uiHost: string;
  uiToken?: string;
  uiAdvertisedUrl?: string;
}

function advertisedUrl(value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new InvalidArgumentError(`--ui-advertised-url must be a URL like http://host:port, got '${value}'`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InvalidArgumentError(`--ui-advertised-url must be an http(s) URL, got '${value}'`);
  return u.origin;
}

function uiPort(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError(`--ui-port must be a port number in [0, 65535], got '${value}'`);
  return Number(value);
}

export const DASHBOARD_HELP =
  '\nDashboard: --ui-port P serves a live web page (topology, throughput, latency, lag, watermarks, state, topics and' +
  '\ngroups), GET /metrics (Prometheus) and a JSON API with interactive queries (/api/state/<store>?key=K) on' +
  '\nhttp://127.0.0.1:P/. Bound elsewhere with --ui-host, it needs --ui-token (or TRIBUTARY_UI_TOKEN), at least 16' +
  '\ncharacters, sent as `Authorization: Bearer <token>` or by opening the page with ?token=<token>. An app with' +
  '\nscaleOut announces its dashboard to its consumer group (--ui-advertised-url; give every process the same token):' +
  '\nany process then answers a query for any key, forwarding it to the key\'s owner. See docs/operations.md.';

export function withDashboardOptions<T extends Command>(command: T): T {
  command
    .option('--ui-port <port>', 'serve the dashboard and /metrics on this port (0: any free port; default: no dashboard)', uiPort)
    .option('--ui-host <host>', 'interface the dashboard listens on (anything but loopback requires --ui-token)', '127.0.0.1')
    .option('--ui-token <token>', 'token every dashboard request must carry (default: $TRIBUTARY_UI_TOKEN)')
    .option('--ui-advertised-url <url>', 'scale-out: the URL the other processes reach this dashboard at, for interactive queries (default: http://<ui-host>:<port>)', advertisedUrl);
  return command;
}

/** Starts the dashboard when --ui-port was given and prints its address on stderr; undefined otherwise. */
export async function startDashboardFromCli(opts: DashboardCliOptions, sources: DashboardSources): Promise<(Dashboard & { readonly advertisedUrl: string }) | undefined> {
  if (opts.uiPort === undefined) return undefined;
  // From the environment rather than as commander's default, so --help never prints it.
  const token = opts.uiToken ?? process.env.TRIBUTARY_UI_TOKEN;
  try {
    const d = await startDashboard({ ...sources, port: opts.uiPort, host: opts.uiHost, ...(token ? { token } : {}) });
    process.stderr.write(`Tributary dashboard on ${d.url} (metrics: ${d.url}metrics)\n`);
    // Bound to every interface, the dashboard's own URL names no host another process can reach.
    const anyHost = d.host === '0.0.0.0' || d.host === '::';
    const advertised = opts.uiAdvertisedUrl ?? (anyHost ? `http://${hostname()}:${d.port}` : new URL(d.url).origin);
    return Object.assign(d, { advertisedUrl: advertised });
  } catch (e) {
    if (e instanceof DashboardError) throw new Error(`${e.code}: ${e.message}`);
    throw e;
  }
}
