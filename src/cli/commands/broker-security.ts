import { InvalidArgumentError, type Command } from 'commander';
import { SASL_MECHANISMS, isSaslMechanism, type ByteRates, type SaslMechanism } from '../../broker/security/index.js';
import type { SecurityOptions } from '../../broker/security/index.js';
import { UsageError } from '../errors.js';
import { positiveInt } from '../options.js';

/** The `tributary broker` flags for authentication, TLS, ACLs and limits. */
export interface SecurityCliOptions {
  sasl?: SaslMechanism[];
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  tlsClientAuth?: 'required' | 'requested' | 'none';
  acls?: boolean;
  superUsers?: string[];
  maxConnections?: number;
  maxConnectionsPerIp?: number;
  connectionsMaxIdleMs?: number;
  producerByteRate?: number;
  consumerByteRate?: number;
  clientQuota?: Record<string, ByteRates>;
}

function mechanisms(value: string): SaslMechanism[] {
  return value.split(',').map((m) => {
    const name = m.trim().toUpperCase();
    if (!isSaslMechanism(name)) throw new InvalidArgumentError(`--sasl takes ${SASL_MECHANISMS.join(', ')} (comma-separated), got '${m}'`);
    return name;
  });
}

function clientAuth(value: string): 'required' | 'requested' | 'none' {
  if (value !== 'required' && value !== 'requested' && value !== 'none') throw new InvalidArgumentError(`--tls-client-auth must be required, requested or none, got '${value}'`);
  return value;
}

function principals(value: string, previous: string[] = []): string[] {
  const out = [...previous];
  for (const p of value.split(/[;,]/)) {
    if (!/^[^:]+:.+$/.test(p.trim())) throw new InvalidArgumentError(`--super-users takes principals like User:admin, got '${p}'`);
    out.push(p.trim());
  }
  return out;
}

/** `--client-quota ID:producer=BYTES,consumer=BYTES` (repeatable). */
function clientQuota(value: string, previous: Record<string, ByteRates> = {}): Record<string, ByteRates> {
  const colon = value.lastIndexOf(':');
  if (colon <= 0) throw new InvalidArgumentError(`--client-quota is CLIENT_ID:producer=N,consumer=N, got '${value}'`);
  const rates: ByteRates = {};
  for (const part of value.slice(colon + 1).split(',')) {
    const m = /^(producer|consumer)=(\d+)$/.exec(part.trim());
    if (m === null || Number(m[2]) <= 0) throw new InvalidArgumentError(`--client-quota rates are producer=N and/or consumer=N bytes/s, got '${part}'`);
    if (m[1] === 'producer') rates.producerByteRate = Number(m[2]);
    else rates.consumerByteRate = Number(m[2]);
  }
  return { ...previous, [value.slice(0, colon)]: rates };
}

export function withSecurityOptions(c: Command): Command {
  return c
    .option('--sasl <mechanisms>', `require SASL: ${SASL_MECHANISMS.join(', ')} (comma-separated); users from \`tributary users add\``, mechanisms)
    .option('--tls-cert <file>', 'PEM certificate (chain): listen with TLS')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--tls-ca <file>', 'PEM CA certificates that sign client certificates')
    .option('--tls-client-auth <mode>', 'required (mTLS: principal User:<certificate CN>), requested or none', clientAuth)
    .option('--acls', 'enforce ACLs from `tributary acls add` (deny by default)')
    .option('--super-users <principals>', 'principals allowed everything, e.g. User:admin (comma-separated, repeatable)', principals)
    .option('--max-connections <n>', 'max.connections: refuse connections beyond this many', positiveInt('--max-connections'))
    .option('--max-connections-per-ip <n>', 'max.connections.per.ip', positiveInt('--max-connections-per-ip'))
    .option('--connections-max-idle-ms <ms>', 'close connections idle this long (default 600000)', positiveInt('--connections-max-idle-ms'))
    .option('--producer-byte-rate <bytes>', 'produce quota per client id, bytes/s (throttled beyond)', positiveInt('--producer-byte-rate'))
    .option('--consumer-byte-rate <bytes>', 'fetch quota per client id, bytes/s', positiveInt('--consumer-byte-rate'))
    .option('--client-quota <id:rates>', 'quota of one client id: ID:producer=N,consumer=N (repeatable)', clientQuota);
}

export function securityOptionsFromCli(o: SecurityCliOptions): SecurityOptions {
  if ((o.tlsCert === undefined) !== (o.tlsKey === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  const quotas =
    o.producerByteRate !== undefined || o.consumerByteRate !== undefined || o.clientQuota !== undefined
      ? {
          ...(o.producerByteRate !== undefined ? { producerByteRate: o.producerByteRate } : {}),
          ...(o.consumerByteRate !== undefined ? { consumerByteRate: o.consumerByteRate } : {}),
          ...(o.clientQuota !== undefined ? { clients: o.clientQuota } : {}),
        }
      : undefined;
  return {
    ...(o.sasl !== undefined ? { sasl: o.sasl } : {}),
    ...(o.tlsCert !== undefined && o.tlsKey !== undefined
      ? { tls: { certFile: o.tlsCert, keyFile: o.tlsKey, ...(o.tlsCa !== undefined ? { caFile: o.tlsCa } : {}), clientAuth: o.tlsClientAuth ?? 'none' } }
      : {}),
    ...(o.acls === true ? { acls: true } : {}),
    ...(o.superUsers !== undefined ? { superUsers: o.superUsers } : {}),
    ...(o.maxConnections !== undefined ? { maxConnections: o.maxConnections } : {}),
    ...(o.maxConnectionsPerIp !== undefined ? { maxConnectionsPerIp: o.maxConnectionsPerIp } : {}),
    ...(o.connectionsMaxIdleMs !== undefined ? { idleTimeoutMs: o.connectionsMaxIdleMs } : {}),
    ...(quotas !== undefined ? { quotas } : {}),
  };
}
