import type { LogManager, LogManagerOptions } from '../log/index.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../protocol/index.js';
import type { SecurityOptions } from './security/index.js';

/** Where the broker reports what it did on its own: one line per event. */
export interface BrokerLogger {
  info(message: string): void;
  warn(message: string): void;
}

export const stderrBrokerLogger: BrokerLogger = {
  info(message) {
    process.stderr.write(`[tributary broker] ${message}\n`);
  },
  warn(message) {
    process.stderr.write(`[tributary broker] WARN ${message}\n`);
  },
};

export const silentBrokerLogger: BrokerLogger = { info() {}, warn() {} };

/** SASL/PLAIN users: name -> password. When set, every connection must authenticate first. */
export type PlainCredentials = Readonly<Record<string, string>>;

export interface BrokerOptions {
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** Port to listen on; 0 picks a free one (see Broker.port). Default 9092. */
  port?: number;
  /** Host clients are told to connect to (Metadata, FindCoordinator). Default: `host`, or 127.0.0.1 for 0.0.0.0/::. */
  advertisedHost?: string;
  /** Port clients are told to connect to. Default: the bound port. */
  advertisedPort?: number;
  /** Data directory of the embedded log; the broker opens and closes the log. */
  dataDir?: string;
  /** An already open log instead of `dataDir`; the broker then does not close it. */
  log?: LogManager;
  /** Passed to LogManager.open when the broker opens the log. */
  logOptions?: Omit<LogManagerOptions, 'dataDir'>;
  /** Create unknown topics on Metadata and Produce (Kafka's auto.create.topics.enable). Default true. */
  autoCreateTopics?: boolean;
  /** Partitions of auto-created topics and of CreateTopics with numPartitions -1 (Kafka's num.partitions). Default 1. */
  defaultPartitions?: number;
  /** Largest request frame accepted (Kafka's socket.request.max.bytes). Default 100 MiB. */
  maxFrameBytes?: number;
  /** This node's id. Default 0. */
  nodeId?: number;
  /** Partitions of the internal `__consumer_offsets` topic when it is first created. Default 1. */
  offsetsTopicPartitions?: number;
  /** group.initial.rebalance.delay.ms: how long a new group waits for more members. Default 0 (Kafka's dev setups). */
  groupInitialRebalanceDelayMs?: number;
  /**
   * offsets.retention.minutes, in ms: committed offsets of a group that has been empty this long
   * (of a standalone consumer: not committed for this long) are removed. Default 7 days.
   */
  offsetsRetentionMs?: number;
  /** offsets.retention.check.interval.ms: how often expired offsets are looked for; 0 never. Default 600000. */
  offsetsRetentionCheckIntervalMs?: number;
  /** group.min.session.timeout.ms. Default 6000. */
  groupMinSessionTimeoutMs?: number;
  /** group.max.session.timeout.ms. Default 1800000. */
  groupMaxSessionTimeoutMs?: number;
  /** SASL/PLAIN users; when absent, no authentication (the default). */
  saslPlain?: PlainCredentials;
  /** transaction.max.timeout.ms: the largest transaction timeout a producer may ask for. Default 900000 (15 min). */
  transactionMaxTimeoutMs?: number;
  /**
   * transaction.abort.timed.out.transaction.cleanup.interval.ms: how often transactions past their
   * timeout are aborted (and their producers fenced). Default 10000. Applies when the broker opens
   * the log's transaction coordinator (not when an open `log` already has one).
   */
  transactionAbortTimedOutIntervalMs?: number;
  /** SASL (SCRAM, PLAIN against the users file), TLS, ACLs, connection limits, idle timeout, quotas (docs/security.md). */
  security?: SecurityOptions;
  logger?: BrokerLogger;
}

export interface BrokerConfig {
  host: string;
  port: number;
  advertisedHost: string;
  advertisedPort: number | undefined;
  autoCreateTopics: boolean;
  defaultPartitions: number;
  maxFrameBytes: number;
  nodeId: number;
  offsetsTopicPartitions: number;
  groupInitialRebalanceDelayMs: number;
  offsetsRetentionMs: number;
  offsetsRetentionCheckIntervalMs: number;
  groupMinSessionTimeoutMs: number;
  groupMaxSessionTimeoutMs: number;
  saslPlain: PlainCredentials | null;
  transactionMaxTimeoutMs: number;
  transactionAbortTimedOutIntervalMs: number;
}

function nonNegativeInt(name: string, v: unknown, fallback: number, min = 0): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    throw new RangeError(`broker option ${name} must be an integer >= ${min}, got ${String(v)}`);
  }
  return v;
}

export function resolveBrokerConfig(o: BrokerOptions): BrokerConfig {
  const host = o.host ?? '127.0.0.1';
  const wildcard = host === '0.0.0.0' || host === '::' || host === '';
  const port = nonNegativeInt('port', o.port, 9092);
  if (port > 65535) throw new RangeError(`broker option port must be in [0, 65535], got ${port}`);
  return {
    host,
    port,
    advertisedHost: o.advertisedHost ?? (wildcard ? '127.0.0.1' : host),
    advertisedPort: o.advertisedPort === undefined ? undefined : nonNegativeInt('advertisedPort', o.advertisedPort, 0, 1),
    autoCreateTopics: o.autoCreateTopics ?? true,
    defaultPartitions: nonNegativeInt('defaultPartitions', o.defaultPartitions, 1, 1),
    maxFrameBytes: nonNegativeInt('maxFrameBytes', o.maxFrameBytes, DEFAULT_MAX_FRAME_BYTES, 1),
    nodeId: nonNegativeInt('nodeId', o.nodeId, 0),
    offsetsTopicPartitions: nonNegativeInt('offsetsTopicPartitions', o.offsetsTopicPartitions, 1, 1),
    groupInitialRebalanceDelayMs: nonNegativeInt('groupInitialRebalanceDelayMs', o.groupInitialRebalanceDelayMs, 0),
    offsetsRetentionMs: nonNegativeInt('offsetsRetentionMs', o.offsetsRetentionMs, 7 * 24 * 60 * 60 * 1000, 1),
    offsetsRetentionCheckIntervalMs: nonNegativeInt('offsetsRetentionCheckIntervalMs', o.offsetsRetentionCheckIntervalMs, 600_000),
    groupMinSessionTimeoutMs: nonNegativeInt('groupMinSessionTimeoutMs', o.groupMinSessionTimeoutMs, 6000),
    groupMaxSessionTimeoutMs: nonNegativeInt('groupMaxSessionTimeoutMs', o.groupMaxSessionTimeoutMs, 1_800_000),
    saslPlain: o.saslPlain ?? null,
    transactionMaxTimeoutMs: nonNegativeInt('transactionMaxTimeoutMs', o.transactionMaxTimeoutMs, 900_000, 1),
    transactionAbortTimedOutIntervalMs: nonNegativeInt('transactionAbortTimedOutIntervalMs', o.transactionAbortTimedOutIntervalMs, 10_000, 1),
  };
}
