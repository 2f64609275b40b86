import type { Server, Socket } from 'node:net';
import { LogManager, type TopicConfigInput, type TransactionCompletion, type TransactionCoordinator } from '../log/index.js';
import { Connection } from './connection.js';
import type { ApiVersionRange, BrokerServices, NodeEndpoint } from './context.js';
import { Dispatcher } from './dispatcher.js';
import { GroupCoordinator } from './group/coordinator.js';
import { HANDLERS } from './handlers/index.js';
import { readOrCreateClusterId } from './meta.js';
import { resolveBrokerConfig, stderrBrokerLogger, type BrokerConfig, type BrokerLogger, type BrokerOptions } from './options.js';
import { CONSUMER_OFFSETS_TOPIC, TopicService } from './topics.js';
import { BrokerStats } from './stats.js';
import { BrokerSecurity } from './security/index.js';
import { createListener } from './security/listener.js';

export interface Broker {
  /** Interface and port actually bound (the port is the real one when 0 was asked for). */
  readonly host: string;
  readonly port: number;
  /** host:port as clients are told to reach it. */
  readonly advertisedAddress: string;
  readonly clusterId: string;
  readonly log: LogManager;
  readonly groups: GroupCoordinator;
  /** The log's transaction coordinator (InitProducerId, AddPartitionsToTxn, EndTxn, ...). */
  readonly transactions: TransactionCoordinator;
  /** Open client connections. */
  readonly connectionCount: number;
  /** Request and byte counters (metrics). */
  readonly stats: BrokerStats;
  /**
   * Stops accepting, drops every connection (long polls end), stops the group coordinator, waits for
   * requests in flight to settle, and closes the log when the broker opened it. Idempotent.
   */
  close(): Promise<void>;
}

class RunningBroker implements Broker, BrokerServices {
  readonly topics: TopicService;
  readonly groups: GroupCoordinator;
  readonly stats = new BrokerStats();
  private readonly dispatcher: Dispatcher;
  private readonly connections = new Set<Connection>();
  private nextConnectionId = 1;
  private closing: Promise<void> | null = null;
  private boundPort = 0;
  private coordinator: TransactionCoordinator | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(
    readonly log: LogManager,
    private readonly ownsLog: boolean,
    readonly config: BrokerConfig,
    readonly clusterId: string,
    readonly logger: BrokerLogger,
    private readonly server: Server,
    defaultTopicConfig: TopicConfigInput | undefined,
    readonly security: BrokerSecurity,
    /** 'secureConnection' on a TLS listener: the handshake is done. */
    private readonly connectionEvent: 'connection' | 'secureConnection' = 'connection',
  ) {
    this.topics = new TopicService(log, config, logger, defaultTopicConfig);
    this.groups = new GroupCoordinator(this.topics, config, logger);
    this.dispatcher = new Dispatcher(HANDLERS);
  }

  get host(): string {
    return this.config.host;
  }

  get port(): number {
    return this.boundPort;
  }

  get advertisedAddress(): string {
    const e = this.endpoint();
    return `${e.host}:${e.port}`;
  }

  get transactions(): TransactionCoordinator {
    if (this.coordinator === null) throw new Error('the broker has not started its transaction coordinator');
    return this.coordinator;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  endpoint(): NodeEndpoint {
    return { nodeId: this.config.nodeId, host: this.config.advertisedHost, port: this.config.advertisedPort ?? this.boundPort };
  }

  apiVersions(): readonly ApiVersionRange[] {
    return this.dispatcher.apiVersions();
  }

  async listen(): Promise<void> {
    // Group state first: the transaction coordinator's open completes interrupted commits and tells
    // the group coordinator, which must then know the pending transactional offsets.
    this.groups.start();
    const onComplete = (c: TransactionCompletion) => this.groups.completeTransaction(c);
    this.coordinator = await this.log.transactionCoordinator({
      maxTransactionTimeoutMs: this.config.transactionMaxTimeoutMs,
      abortTimedOutTransactionsIntervalMs: this.config.transactionAbortTimedOutIntervalMs,
      offsetsPartitionFor: (groupId) => ({ topic: CONSUMER_OFFSETS_TOPIC, partition: this.groups.store.partitionFor(groupId) }),
      onTransactionComplete: onComplete,
      logger: this.logger,
    });
    // A coordinator opened earlier by someone else (an in-process engine) did not get the options:
    // subscribe now (the listener set ignores a second registration of the same function).
    this.unsubscribe = this.coordinator.onTransactionComplete(onComplete);
    this.server.on(this.connectionEvent, (socket: Socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.server.once('error', onError);
      this.server.listen(this.config.port, this.config.host, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    this.server.on('error', (e) => this.logger.warn(`server error: ${e.message}`));
    const address = this.server.address();
    this.boundPort = typeof address === 'object' && address !== null ? address.port : this.config.port;
  }

  private accept(socket: Socket): void {
    if (this.closing !== null) {
      socket.destroy();
      return;
    }
    // max.connections / max.connections.per.ip: refused before a byte is read.
    const ip = socket.remoteAddress ?? 'unknown';
    if (!this.security.limits.admit(ip)) {
      this.logger.warn(`refusing a connection from ${ip}: connection limit reached`);
      socket.destroy();
      return;
    }
    const connection = new Connection(socket, this, this.dispatcher, this.nextConnectionId++, (c) => {
      this.connections.delete(c);
      this.security.limits.release(ip);
    });
    this.connections.add(connection);
    this.stats.connectionsAccepted++;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const serverClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      const connections = [...this.connections];
      for (const c of connections) c.destroy();
      this.groups.close();
      this.unsubscribe?.();
      await Promise.all(connections.map((c) => c.idle()));
      await serverClosed;
      if (this.ownsLog) await this.log.close();
    })();
    return this.closing;
  }
}

/**
 * Starts a broker on the embedded log: opens the log in `dataDir` (or uses `log`), replays the
 * group coordinator's state from `__consumer_offsets`, and listens. `port: 0` binds a free port
 * (see `broker.port`).
 */
export async function startBroker(options: BrokerOptions = {}): Promise<Broker> {
  const config = resolveBrokerConfig(options);
  const logger = options.logger ?? stderrBrokerLogger;
  let log: LogManager;
  const ownsLog = options.log === undefined;
  if (options.log !== undefined) {
    log = options.log;
  } else {
    if (options.dataDir === undefined) throw new TypeError('startBroker needs a dataDir or an open log');
    log = await LogManager.open({ ...options.logOptions, dataDir: options.dataDir });
  }
  let listener: ReturnType<typeof createListener>;
  let security: BrokerSecurity;
  try {
    security = new BrokerSecurity(options.security ?? {}, log.dataDir, config.saslPlain);
    listener = createListener(config.host, security.tls);
  } catch (e) {
    if (ownsLog) await log.close();
    throw e;
  }
  const server = listener.server;
  try {
    const clusterId = readOrCreateClusterId(log.dataDir, config.nodeId);
    const broker = new RunningBroker(log, ownsLog, config, clusterId, logger, server, options.logOptions?.defaultTopicConfig, security, listener.connectionEvent);
    await broker.listen();
    return broker;
  } catch (e) {
    server.close();
    if (ownsLog) await log.close();
    throw e;
  }
}
