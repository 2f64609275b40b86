import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { DashboardError } from './errors.js';

/** The cookie the page keeps the token in once opened with ?token=, so assets and the event stream carry it. */
export const TOKEN_COOKIE = 'tributary_token';

/** Loopback interfaces: the only ones the dashboard binds to without a token. */
export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Bound elsewhere than loopback, anyone on the network could read the pipeline's data (state
 * stores hold it): a token is then required, and every request must carry it.
 */
export function checkBinding(host: string, token: string | undefined): void {
  if (!isLoopback(host) && (token === undefined || token.length === 0)) {
    throw new DashboardError('DASHBOARD_TOKEN_REQUIRED', `the dashboard binds to ${host}, which is not loopback: give a token (--ui-token or TRIBUTARY_UI_TOKEN)`);
  }
  if (token !== undefined && token.length > 0 && token.length < 16) {
    throw new DashboardError('DASHBOARD_TOKEN_REQUIRED', 'the dashboard token must be at least 16 characters long');
  }
}

/** The token a request carries: `Authorization: Bearer T`, `?token=T`, or the cookie. */
export function requestToken(req: IncomingMessage, url: URL): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  const q = url.searchParams.get('token');
  if (q !== null) return q;
  const cookie = req.headers.cookie;
  if (cookie) {
    for (const part of cookie.split(';')) {
      const [k, ...v] = part.trim().split('=');
      if (k === TOKEN_COOKIE) return decodeURIComponent(v.join('='));
    }
  }
  return undefined;
}

/** Constant-time comparison, so the token cannot be guessed byte by byte from response times. */
export function tokenMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
