import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Who may use an HTTP endpoint of Tributary (the HTTP connector, the dashboard): on loopback
 * anyone on this machine; bound anywhere else, only holders of a token, because the endpoints
 * read (and the connector writes) a pipeline's data.
 */

/** The shortest token accepted: a guessable token is no protection. */
export const MIN_TOKEN_LENGTH = 16;

/** Loopback interfaces: the only ones an HTTP endpoint binds to without a token. */
export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Why an endpoint may not bind to `host` with `token`, or null when it may. */
export function bindingProblem(host: string, token: string | undefined): string | null {
  if (token !== undefined && token.length > 0 && token.length < MIN_TOKEN_LENGTH) return `the token must be at least ${MIN_TOKEN_LENGTH} characters long`;
  if (!isLoopback(host) && (token === undefined || token.length === 0)) return `${host} is not a loopback address: a token is required`;
  return null;
}

/** The token of `Authorization: Bearer T`, else of `?token=T` (EventSource and WebSocket cannot set headers). */
export function bearerToken(req: IncomingMessage, url: URL): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  return url.searchParams.get('token') ?? undefined;
}

/** Constant-time comparison, so the token cannot be guessed byte by byte from response times. */
export function tokenMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
