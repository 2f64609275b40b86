import type { LogManager, TransactionCoordinator } from '../log/index.js';
import type { RequestHeader } from '../protocol/index.js';
import type { GroupCoordinator } from './group/coordinator.js';
import type { BrokerConfig, BrokerLogger } from './options.js';
import type { TopicService } from './topics.js';
import type { BrokerStats } from './stats.js';
import type { SaslSession } from './sasl.js';
import type { BrokerSecurity } from './security/index.js';

/** What clients are told to connect to. */
export interface NodeEndpoint {
  nodeId: number;
  host: string;
  port: number;
}

/** The served APIs and versions (what ApiVersions advertises). */
export interface ApiVersionRange {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

/** Everything a handler may use, shared by all connections. */
export interface BrokerServices {
  readonly log: LogManager;
  readonly config: BrokerConfig;
  readonly clusterId: string;
  readonly logger: BrokerLogger;
  readonly topics: TopicService;
  readonly groups: GroupCoordinator;
  /** The log's transaction coordinator (open for the broker's whole life). */
  readonly transactions: TransactionCoordinator;
  /** This node as clients must reach it (advertised host and port). */
  endpoint(): NodeEndpoint;
  /** The APIs and versions this broker serves. */
  apiVersions(): readonly ApiVersionRange[];
  /** Request and byte counters (metrics). */
  readonly stats: BrokerStats;
  /** SASL users and mechanisms, authorizer, connection limits, quotas. */
  readonly security: BrokerSecurity;
}

/** Per-connection state a handler may read or change. */
export interface ConnectionState {
  readonly id: number;
  /** The client's address, as DescribeGroups reports it (Kafka's "/127.0.0.1"). */
  readonly clientHost: string;
  /** Aborts when the connection closes: long polls end with it. */
  readonly signal: AbortSignal;
  /** SASL: mechanism chosen by SaslHandshake, and whether SaslAuthenticate succeeded. */
  saslMechanism: string | null;
  authenticated: boolean;
  /** Kafka principal (User:alice) from SASL or the client certificate; null: anonymous (User:ANONYMOUS). */
  principal: string | null;
  /** The client's IP address without the leading slash (ACL host, connection limits). */
  readonly clientAddress: string;
  /** After SaslHandshake v0 the next frames are bare SASL tokens, not Kafka requests. */
  saslRawTokens: boolean;
  /** The SASL exchange in progress (after SaslHandshake, until it succeeds or fails). */
  saslSession: SaslSession | null;
}

export interface RequestContext {
  readonly broker: BrokerServices;
  readonly connection: ConnectionState;
  readonly header: RequestHeader;
  readonly apiVersion: number;
  /** The client id of the request header ('' when null), as Kafka reports it. */
  readonly clientId: string;
  /** Lets the connection start the next request while this one finishes (responses stay in order). */
  unblock(): void;
}

/** Returned by a handler when the request gets no response (Produce with acks=0). */
export const NO_RESPONSE: unique symbol = Symbol('no response');
export type NoResponse = typeof NO_RESPONSE;

/**
 * Thrown by a handler to drop the connection instead of answering (what Kafka does for a failed
 * acks=0 produce, or for a request that must not be answered before authentication).
 */
export class CloseConnection extends Error {
  override readonly name = 'CloseConnection';
}
