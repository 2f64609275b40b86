import { ApiKeys, ErrorCodes } from '../../protocol/index.js';
import { defineHandler } from '../handler.js';
import { authenticatePlainToken } from '../sasl.js';

const PLAIN = 'PLAIN';

/** SaslHandshake: PLAIN only. After v0 the token comes as a bare frame; after v1 in SaslAuthenticate. */
export const saslHandshake = defineHandler({
  apiKey: ApiKeys.SaslHandshake,
  handle(ctx, req) {
    const conn = ctx.connection;
    if (ctx.broker.config.saslPlain === null) return { errorCode: ErrorCodes.ILLEGAL_SASL_STATE, mechanisms: [] };
    if (conn.authenticated || conn.saslMechanism !== null) return { errorCode: ErrorCodes.ILLEGAL_SASL_STATE, mechanisms: [PLAIN] };
    if (req.mechanism !== PLAIN) return { errorCode: ErrorCodes.UNSUPPORTED_SASL_MECHANISM, mechanisms: [PLAIN] };
    conn.saslMechanism = PLAIN;
    if (ctx.apiVersion === 0) conn.saslRawTokens = true;
    return { errorCode: ErrorCodes.NONE, mechanisms: [PLAIN] };
  },
});

/** SaslAuthenticate: checks a PLAIN token against the configured users. */
export const saslAuthenticate = defineHandler({
  apiKey: ApiKeys.SaslAuthenticate,
  handle(ctx, req) {
    const conn = ctx.connection;
    const fail = (errorCode: number, errorMessage: string) => ({ errorCode, errorMessage, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n });
    if (conn.saslMechanism !== PLAIN || conn.authenticated) return fail(ErrorCodes.ILLEGAL_SASL_STATE, 'SaslHandshake must come first, once');
    const principal = authenticatePlainToken(ctx.broker.config.saslPlain, req.authBytes);
    if (principal === null) {
      ctx.broker.logger.warn(`connection ${conn.id} from ${conn.clientHost}: SASL/PLAIN authentication failed`);
      return fail(ErrorCodes.SASL_AUTHENTICATION_FAILED, 'Authentication failed: invalid username or password');
    }
    conn.authenticated = true;
    conn.principal = principal;
    return { errorCode: ErrorCodes.NONE, errorMessage: null, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n };
  },
});
