import type { IncomingMessage } from 'node:http';
import { bearerToken, bindingProblem } from '../connectors/http/access.js';
import { DashboardError } from './errors.js';

export { isLoopback, tokenMatches } from '../connectors/http/access.js';

/** The cookie the page keeps the token in once opened with ?token=, so assets and the event stream carry it. */
export const TOKEN_COOKIE = 'tributary_token';

/**
 * Bound elsewhere than loopback, anyone on the network could read the pipeline's data (state
 * stores hold it): a token is then required, and every request must carry it.
 */
export function checkBinding(host: string, token: string | undefined): void {
  const problem = bindingProblem(host, token);
  if (problem !== null) throw new DashboardError('DASHBOARD_TOKEN_REQUIRED', `the dashboard cannot bind to ${host}: ${problem} (--ui-token or TRIBUTARY_UI_TOKEN)`);
}

/** The token a request carries: `Authorization: Bearer T`, `?token=T`, or the cookie. */
export function requestToken(req: IncomingMessage, url: URL): string | undefined {
  const given = bearerToken(req, url);
  if (given !== undefined) return given;
  const cookie = req.headers.cookie;
  if (cookie) {
    for (const part of cookie.split(';')) {
      const [k, ...v] = part.trim().split('=');
      if (k === TOKEN_COOKIE) return decodeURIComponent(v.join('='));
    }
  }
  return undefined;
}
