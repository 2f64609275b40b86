import { timingSafeEqual } from 'node:crypto';
import type { PlainCredentials } from './options.js';

/**
 * SASL/PLAIN (RFC 4616): the token is `authzid NUL authcid NUL passwd`. Returns the authenticated
 * user, or null when the token is malformed or the credentials are wrong. An authzid, when given,
 * must equal the user (Kafka's rule).
 */
export function authenticatePlainToken(users: PlainCredentials | null, token: Buffer): string | null {
  if (users === null) return null;
  const first = token.indexOf(0);
  if (first < 0) return null;
  const second = token.indexOf(0, first + 1);
  if (second < 0 || token.indexOf(0, second + 1) >= 0) return null;
  const authzid = token.toString('utf8', 0, first);
  const user = token.toString('utf8', first + 1, second);
  const password = token.subarray(second + 1);
  if (user === '' || (authzid !== '' && authzid !== user)) return null;
  if (!Object.prototype.hasOwnProperty.call(users, user)) return null;
  const expected = Buffer.from(users[user]!, 'utf8');
  if (expected.length !== password.length || !timingSafeEqual(expected, password)) return null;
  return user;
}
