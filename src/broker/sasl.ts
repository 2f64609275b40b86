import { timingSafeEqual } from 'node:crypto';
import type { PlainCredentials } from './options.js';
import type { CredentialStore, SaslMechanism } from './security/credentials.js';
import { SaslAuthenticationError } from './security/errors.js';
import { ScramServerSession, type SaslStep } from './security/scram.js';

/**
 * One SASL exchange on one connection: token in, token out, until `user` is set (authenticated)
 * or a step throws SaslAuthenticationError (the client gets SASL_AUTHENTICATION_FAILED).
 */
export interface SaslSession {
  readonly mechanism: SaslMechanism;
  step(token: Buffer): Promise<SaslStep>;
}

/** Where the broker checks passwords: the data directory's users file, and/or in-memory PLAIN users (tests, embedding). */
export interface SaslUsers {
  readonly store: CredentialStore | null;
  readonly plain: PlainCredentials | null;
}

const EMPTY = Buffer.alloc(0);

/**
 * SASL/PLAIN (RFC 4616): the token is `authzid NUL authcid NUL passwd`. Returns user and password,
 * or null when the token is malformed. An authzid, when given, must equal the user (Kafka's rule).
 */
export function parsePlainToken(token: Buffer): { user: string; password: Buffer } | null {
  const first = token.indexOf(0);
  if (first < 0) return null;
  const second = token.indexOf(0, first + 1);
  if (second < 0 || token.indexOf(0, second + 1) >= 0) return null;
  const authzid = token.toString('utf8', 0, first);
  const user = token.toString('utf8', first + 1, second);
  if (user === '' || (authzid !== '' && authzid !== user)) return null;
  return { user, password: token.subarray(second + 1) };
}

/** Checks a PLAIN token against in-memory users; the user, or null. */
export function authenticatePlainToken(users: PlainCredentials | null, token: Buffer): string | null {
  if (users === null) return null;
  const parsed = parsePlainToken(token);
  if (parsed === null || !Object.prototype.hasOwnProperty.call(users, parsed.user)) return null;
  const expected = Buffer.from(users[parsed.user]!, 'utf8');
  if (expected.length !== parsed.password.length || !timingSafeEqual(expected, parsed.password)) return null;
  return parsed.user;
}

class PlainSession implements SaslSession {
  readonly mechanism = 'PLAIN';
  private done = false;
  constructor(private readonly users: SaslUsers) {}

  async step(token: Buffer): Promise<SaslStep> {
    if (this.done) throw new SaslAuthenticationError('PLAIN exchange already complete');
    this.done = true;
    const parsed = parsePlainToken(token);
    if (parsed !== null) {
      if (authenticatePlainToken(this.users.plain, token) !== null) return { response: EMPTY, user: parsed.user };
      // The users file holds hashes only: PLAIN derives the hash of what it got and compares.
      if (this.users.store !== null && (await this.users.store.verifyPassword(parsed.user, parsed.password.toString('utf8')))) {
        return { response: EMPTY, user: parsed.user };
      }
    }
    throw new SaslAuthenticationError('Authentication failed: Invalid username or password');
  }
}

/** A fresh server-side exchange for a mechanism the broker offers. */
export function createSaslSession(mechanism: SaslMechanism, users: SaslUsers): SaslSession {
  if (mechanism === 'PLAIN') return new PlainSession(users);
  const store = users.store;
  const scram = new ScramServerSession(mechanism, (user) => (store === null ? null : store.scramCredential(user, mechanism)));
  return { mechanism, step: (token) => scram.step(token) };
}
