import type { PlainCredentials } from '../options.js';
import type { SaslUsers } from '../sasl.js';
import { AclStore } from './acl-store.js';
import { ALLOW_ALL, AclAuthorizer, type Authorizer } from './authorizer.js';
import { ConnectionLimits } from './connection-limits.js';
import { CredentialStore, isSaslMechanism, type SaslMechanism } from './credentials.js';
import { SecurityConfigError } from './errors.js';
import type { TlsOptions } from './listener.js';
import { QuotaManager, type QuotaOptions } from './quotas.js';

export { SaslAuthenticationError, SecurityConfigError, SecurityDisabledError, SecurityResourceNotFoundError, UnsupportedSaslMechanismError } from './errors.js';
export { CredentialStore, SASL_MECHANISMS, isSaslMechanism, type SaslMechanism, type UserInfo } from './credentials.js';
export { AclStore } from './acl-store.js';
export { AclAuthorizer, type Authorizer } from './authorizer.js';
export * from './acl.js';
export { isLoopbackHost, type TlsOptions } from './listener.js';
export { ByteRateSensor, QuotaManager, type ByteRates, type QuotaOptions } from './quotas.js';

/** Kafka's connections.max.idle.ms default: 10 minutes. */
export const DEFAULT_IDLE_TIMEOUT_MS = 600_000;

/** The broker's authentication, authorization and limits (BrokerOptions.security). */
export interface SecurityOptions {
  /**
   * SASL mechanisms offered (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512); when set, every connection must
   * authenticate against the users file of the data directory (`tributary users add`).
   */
  sasl?: readonly SaslMechanism[];
  /** Listen with TLS instead of plaintext (required on any interface but loopback). */
  tls?: TlsOptions;
  /** Enforce ACLs (deny by default) from `<dataDir>/security/acls.json`. */
  acls?: boolean;
  /** Principals (User:NAME) allowed everything, ACLs or not (Kafka's super.users). */
  superUsers?: readonly string[];
  /** max.connections. Default unlimited. */
  maxConnections?: number;
  /** max.connections.per.ip. Default unlimited. */
  maxConnectionsPerIp?: number;
  /** connections.max.idle.ms: a connection with no request for this long is closed. Default 600000. */
  idleTimeoutMs?: number;
  /** Per-client-id produce and fetch byte-rate quotas. */
  quotas?: QuotaOptions;
}

function limit(name: string, v: number | undefined): number {
  if (v === undefined) return Number.POSITIVE_INFINITY;
  if (!Number.isSafeInteger(v) || v < 1) throw new SecurityConfigError(`${name} must be an integer >= 1, got ${String(v)}`);
  return v;
}

/** Everything security-related a running broker shares between its connections. */
export class BrokerSecurity {
  /** Mechanisms offered in SaslHandshake; empty: no SASL (every connection is in as its TLS or anonymous principal). */
  readonly mechanisms: readonly SaslMechanism[];
  readonly saslUsers: SaslUsers;
  readonly authorizer: Authorizer;
  readonly limits: ConnectionLimits;
  readonly quotas: QuotaManager | null;
  readonly idleTimeoutMs: number;
  readonly tls: TlsOptions | null;

  constructor(options: SecurityOptions, dataDir: string, legacyPlain: PlainCredentials | null) {
    const mechanisms = new Set<SaslMechanism>(options.sasl ?? []);
    for (const m of mechanisms) if (!isSaslMechanism(m)) throw new SecurityConfigError(`unknown SASL mechanism ${String(m)}`);
    if (legacyPlain !== null) mechanisms.add('PLAIN');
    this.mechanisms = [...mechanisms];
    this.saslUsers = { store: options.sasl !== undefined && options.sasl.length > 0 ? new CredentialStore(dataDir) : null, plain: legacyPlain };
    this.authorizer = options.acls === true ? new AclAuthorizer(new AclStore(dataDir), options.superUsers ?? []) : ALLOW_ALL;
    for (const p of options.superUsers ?? []) if (!/^[^:]+:.+$/.test(p)) throw new SecurityConfigError(`a super user is a principal like User:admin, got '${p}'`);
    this.limits = new ConnectionLimits(limit('maxConnections', options.maxConnections), limit('maxConnectionsPerIp', options.maxConnectionsPerIp));
    const quotas = options.quotas === undefined ? null : new QuotaManager(options.quotas);
    this.quotas = quotas !== null && quotas.active ? quotas : null;
    this.idleTimeoutMs = options.idleTimeoutMs === undefined ? DEFAULT_IDLE_TIMEOUT_MS : limit('idleTimeoutMs', options.idleTimeoutMs);
    this.tls = options.tls ?? null;
  }

  get saslRequired(): boolean {
    return this.mechanisms.length > 0;
  }
}
