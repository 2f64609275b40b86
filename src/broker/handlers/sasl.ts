import { ApiKeys, ErrorCodes } from '../../protocol/index.js';
import { defineHandler } from '../handler.js';
import { createSaslSession } from '../sasl.js';
import { SaslAuthenticationError } from '../security/errors.js';
import { isSaslMechanism } from '../security/credentials.js';

const EMPTY = Buffer.alloc(0);

/**
 * SaslHandshake: picks one of the offered mechanisms (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512). After
 * v0 the tokens come as bare frames (the connection handles them); after v1 in SaslAuthenticate.
 */
export const saslHandshake = defineHandler({
  apiKey: ApiKeys.SaslHandshake,
  handle(ctx, req) {
    const conn = ctx.connection;
    const security = ctx.broker.security;
    const offered = [...security.mechanisms];
    if (!security.saslRequired) return { errorCode: ErrorCodes.ILLEGAL_SASL_STATE, mechanisms: [] };
    if (conn.authenticated || conn.saslMechanism !== null) return { errorCode: ErrorCodes.ILLEGAL_SASL_STATE, mechanisms: offered };
    if (!isSaslMechanism(req.mechanism) || !offered.includes(req.mechanism)) return { errorCode: ErrorCodes.UNSUPPORTED_SASL_MECHANISM, mechanisms: offered };
    conn.saslMechanism = req.mechanism;
    conn.saslSession = createSaslSession(req.mechanism, security.saslUsers);
    if (ctx.apiVersion === 0) conn.saslRawTokens = true;
    return { errorCode: ErrorCodes.NONE, mechanisms: offered };
  },
});

/** SaslAuthenticate: one step of the exchange chosen by SaslHandshake (PLAIN: one; SCRAM: two). */
export const saslAuthenticate = defineHandler({
  apiKey: ApiKeys.SaslAuthenticate,
  async handle(ctx, req) {
    const conn = ctx.connection;
    const fail = (errorCode: number, errorMessage: string) => ({ errorCode, errorMessage, authBytes: EMPTY, sessionLifetimeMs: 0n });
    const session = conn.saslSession;
    if (session === null || conn.authenticated) return fail(ErrorCodes.ILLEGAL_SASL_STATE, 'SaslHandshake must come first, once');
    try {
      const step = await session.step(req.authBytes);
      if (step.user !== null) {
        conn.authenticated = true;
        conn.principal = `User:${step.user}`;
        conn.saslSession = null;
      }
      return { errorCode: ErrorCodes.NONE, errorMessage: null, authBytes: step.response, sessionLifetimeMs: 0n };
    } catch (e) {
      if (!(e instanceof SaslAuthenticationError)) throw e;
      conn.saslSession = null;
      ctx.broker.logger.warn(`connection ${conn.id} from ${conn.clientHost}: SASL/${session.mechanism} authentication failed: ${e.message}`);
      return fail(ErrorCodes.SASL_AUTHENTICATION_FAILED, e.message);
    }
  },
});
