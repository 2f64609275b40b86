import type { Connection, ConnectionOptions, ConnectionPool, Reader as WireReader } from '@platformatic/kafka';
import { ApiKeys } from '../../protocol/api-keys.js';
import { requestHeaderVersion, responseHeaderVersion } from '../../protocol/header.js';
import { decodeResponseBody, encodeRequestBody, type RequestApiKey, type RequestTypes, type ResponseTypes } from '../../protocol/messages/index.js';
import { Reader } from '../../protocol/reader.js';
import type { Decoded } from '../../protocol/types.js';
import { Writer } from '../../protocol/writer.js';
import { TributaryError } from '../../records/errors.js';
import { tpKey } from '../log.js';
import { STALE_ROUTING, KafkaConnectionError, KafkaResponseError, check, isRetriable, kafkaNameOf } from './errors.js';

/**
 * The connection to a Kafka cluster: @platformatic/kafka's network layer (sockets, framing,
 * correlation ids, request timeouts, TLS, SASL) carrying requests encoded and responses decoded
 * by Tributary's codecs, which are generated from Kafka's message schemas (src/protocol). That
 * split keeps the hot path on Kafka's own bytes: Produce carries the RecordBatch v2 bytes the
 * engine's producer encoded and Fetch hands back the batches as the broker sent them, where the
 * library's clients would build and decode one object per record.
 *
 * Versions: each broker's ApiVersions answer is asked once per address, and every request uses
 * the highest version both sides support up to PREFERRED (versions that carry what the connector
 * needs, with topic names rather than ids, and the classic transaction protocol, which Kafka 4.x
 * and `tributary broker` both speak).
 */

export interface KafkaClientOptions {
  /** Bootstrap servers, "host:port". */
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** Passed to the library's connections: `tls`, `sasl` ({ mechanism: 'PLAIN', username, password }), timeouts. */
  readonly connection?: ConnectionOptions;
}

export interface BrokerAddress {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
}

const PREFERRED: Readonly<Record<number, number>> = {
  [ApiKeys.Produce]: 9,
  [ApiKeys.Fetch]: 12,
  [ApiKeys.ListOffsets]: 7,
  [ApiKeys.Metadata]: 12,
  [ApiKeys.OffsetCommit]: 8,
  [ApiKeys.OffsetFetch]: 7,
  [ApiKeys.FindCoordinator]: 4,
  [ApiKeys.JoinGroup]: 7,
  [ApiKeys.Heartbeat]: 4,
  [ApiKeys.LeaveGroup]: 4,
  [ApiKeys.SyncGroup]: 5,
  [ApiKeys.ApiVersions]: 3,
  [ApiKeys.CreateTopics]: 7,
  [ApiKeys.DeleteTopics]: 6,
  [ApiKeys.InitProducerId]: 4,
  [ApiKeys.AddPartitionsToTxn]: 3,
  [ApiKeys.AddOffsetsToTxn]: 3,
  [ApiKeys.EndTxn]: 3,
  [ApiKeys.TxnOffsetCommit]: 3,
  [ApiKeys.DescribeConfigs]: 4,
};

export const COORDINATOR_GROUP = 0;
export const COORDINATOR_TRANSACTION = 1;

/** How long an operation retries retriable errors (leader elections, coordinator moves, a node restarting). */
const RETRY_MS = 90_000;

/**
 * @platformatic/kafka, loaded by the first KafkaClient.create(): importing it takes most of a
 * second, which every process and worker thread on the embedded log (the CLI, tests, runThreads)
 * would otherwise pay without using it.
 */
let wire: typeof import('@platformatic/kafka') | undefined;

export class KafkaClient {
  /** A client, once the wire library is loaded. */
  static async create(options: KafkaClientOptions): Promise<KafkaClient> {
    wire ??= await import('@platformatic/kafka');
    return new KafkaClient(options);
  }

  private readonly bootstrap: BrokerAddress[];
  private readonly pools: ConnectionPool[] = [];
  private readonly admin: ConnectionPool;
  private readonly versions = new Map<string, Promise<Map<number, { min: number; max: number }>>>();
  private readonly nodes = new Map<number, BrokerAddress>();
  private readonly leaders = new Map<string, number>();
  private readonly partitionCounts = new Map<string, number>();
  private readonly coordinators = new Map<string, BrokerAddress>();
  private closed = false;
  /**
   * Requests sent, indexed by api key: what a process's fixed costs are made of (the scale bench
   * divides them by the events processed). A plain array bumped once per request.
   */
  readonly requestCounts: number[] = [];
  /** Records produced and offsets fetched per topic (per batch, not per record): with requestCounts, for the scale bench. */
  readonly recordsProduced = new Map<string, number>();
  readonly offsetsFetched = new Map<string, number>();

  private constructor(readonly options: KafkaClientOptions) {
    if (options.brokers.length === 0) throw new TributaryError('INVALID_REQUEST', 'kafka({ brokers }): no bootstrap servers given');
    this.bootstrap = options.brokers.map((b, i) => {
      const at = b.lastIndexOf(':');
      const port = Number(b.slice(at + 1));
      if (at <= 0 || !Number.isInteger(port)) throw new TributaryError('INVALID_REQUEST', `bad bootstrap server '${b}' (want host:port)`);
      return { nodeId: -1 - i, host: b.slice(0, at), port };
    });
    this.admin = this.newPool();
  }

  /** A pool of its own (own sockets): for fetch long polls, which would hold up other requests on a shared connection. */
  newPool(): ConnectionPool {
    const pool = new wire!.ConnectionPool(this.options.clientId, { connectTimeout: 10_000, requestTimeout: 60_000, ...this.options.connection });
    this.pools.push(pool);
    return pool;
  }

  async closePool(pool: ConnectionPool): Promise<void> {
    const i = this.pools.indexOf(pool);
    if (i >= 0) this.pools.splice(i, 1);
    await pool.close().catch(() => {});
  }

  /**
   * Sends one request to a broker and decodes its response (errors inside the response are the
   * caller's). `body` may depend on the version chosen (fields that exist only in some versions).
   */
  async call<K extends RequestApiKey>(
    broker: BrokerAddress,
    apiKey: K,
    body: RequestTypes[K] | ((version: number) => RequestTypes[K]),
    pool: ConnectionPool = this.admin,
  ): Promise<Decoded<ResponseTypes[K]>> {
    if (this.closed) throw new TributaryError('INVALID_REQUEST', 'the Kafka connection is closed');
    const version = await this.versionFor(broker, apiKey, pool);
    this.requestCounts[apiKey] = (this.requestCounts[apiKey] ?? 0) + 1;
    return this.send(broker, apiKey, version, typeof body === 'function' ? body(version) : body, pool);
  }

  private async send<K extends RequestApiKey>(broker: BrokerAddress, apiKey: K, version: number, body: RequestTypes[K], pool: ConnectionPool): Promise<Decoded<ResponseTypes[K]>> {
    let conn: Connection;
    try {
      conn = await pool.get({ host: broker.host, port: broker.port });
    } catch (e) {
      this.forgetRouting();
      throw new KafkaConnectionError(`cannot connect to Kafka broker ${broker.host}:${broker.port}: ${(e as Error).message}`, { cause: e });
    }
    return new Promise((resolve, reject) => {
      conn.send(
        apiKey,
        version,
        () => {
          const w = new Writer(256);
          encodeRequestBody(apiKey, version, w, body);
          const out = wire!.Writer.create();
          for (const chunk of w.finish()) out.append(chunk);
          return out;
        },
        (_correlationId: number, _key: number, _version: number, reader: WireReader) => {
          const bytes = reader.buffer.slice(reader.position, reader.length);
          return decodeResponseBody(apiKey, version, new Reader(bytes, 0, bytes.length, 'CORRUPT_MESSAGE'));
        },
        requestHeaderVersion(apiKey, version) === 2,
        responseHeaderVersion(apiKey, version) === 1,
        (error, response) => {
          if (error) {
            if (error instanceof TributaryError) reject(error);
            else {
              this.forgetRouting();
              reject(new KafkaConnectionError(`request ${apiKey} v${version} to ${broker.host}:${broker.port} failed: ${error.message}`, { cause: error }));
            }
          } else resolve(response as Decoded<ResponseTypes[K]>);
        },
      );
    });
  }

  private async versionFor(broker: BrokerAddress, apiKey: number, pool: ConnectionPool): Promise<number> {
    const key = `${broker.host}:${broker.port}`;
    let v = this.versions.get(key);
    if (!v) {
      v = this.send(broker, ApiKeys.ApiVersions, 3, { clientSoftwareName: 'tributary', clientSoftwareVersion: '0.1.0' }, pool).then((r) => {
        check(r.errorCode, `ApiVersions from ${key}`);
        return new Map(r.apiKeys.map((k) => [k.apiKey, { min: k.minVersion, max: k.maxVersion }]));
      });
      this.versions.set(key, v);
      v.catch(() => this.versions.delete(key));
    }
    const range = (await v).get(apiKey);
    const want = PREFERRED[apiKey]!;
    if (!range || range.min > want) throw new TributaryError('UNSUPPORTED_VERSION', `broker ${key} does not serve api ${apiKey} up to v${want}`);
    return Math.min(want, range.max);
  }

  /** Any live broker (bootstrap servers first, until metadata names the nodes). */
  async anyBroker<T>(op: (b: BrokerAddress) => Promise<T>): Promise<T> {
    const candidates = [...this.nodes.values(), ...this.bootstrap];
    let last: unknown;
    for (const b of candidates) {
      try {
        return await op(b);
      } catch (e) {
        last = e;
        if (!(e instanceof KafkaConnectionError)) throw e;
      }
    }
    throw last;
  }

  /** Metadata of the topics (all when null): refreshes the nodes and leaders it names. */
  async metadata(topics: readonly string[] | null): Promise<Decoded<ResponseTypes[3]>> {
    const r = await this.anyBroker((b) =>
      this.call(b, ApiKeys.Metadata, { topics: topics === null ? null : topics.map((name) => ({ name })), allowAutoTopicCreation: false }),
    );
    for (const b of r.brokers) this.nodes.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port });
    for (const t of r.topics) {
      if (t.errorCode !== 0 || t.name === null) continue;
      this.partitionCounts.set(t.name, t.partitions.length);
      for (const p of t.partitions) {
        if (p.leaderId >= 0) this.leaders.set(tpKey(t.name, p.partitionIndex), p.leaderId);
        else this.leaders.delete(tpKey(t.name, p.partitionIndex));
      }
    }
    return r;
  }

  get brokerCount(): number {
    return this.nodes.size;
  }

  /** The leader of a partition (metadata looked up when not known). */
  async leaderFor(topic: string, partition: number): Promise<BrokerAddress> {
    const key = tpKey(topic, partition);
    let id = this.leaders.get(key);
    if (id === undefined) {
      await this.metadata([topic]);
      id = this.leaders.get(key);
    }
    const count = this.partitionCounts.get(topic);
    if (id === undefined && count !== undefined && partition >= count) {
      throw new KafkaResponseError(3, `${topic}-${partition}: the topic has ${count} partitions`);
    }
    const node = id === undefined ? undefined : this.nodes.get(id);
    if (!node) throw new KafkaConnectionError(`no leader known for ${topic}-${partition} (LEADER_NOT_AVAILABLE)`);
    return node;
  }

  /** The group (0) or transaction (1) coordinator for a key. */
  async coordinator(keyType: number, key: string): Promise<BrokerAddress> {
    const id = `${keyType}\u0000${key}`;
    const known = this.coordinators.get(id);
    if (known) return known;
    const r = await this.anyBroker((b) => this.call(b, ApiKeys.FindCoordinator, (v) => (v >= 4 ? { keyType, coordinatorKeys: [key] } : { key, keyType })));
    const c = r.coordinators.length > 0 ? r.coordinators[0]! : { nodeId: r.nodeId, host: r.host, port: r.port, errorCode: r.errorCode, errorMessage: r.errorMessage };
    check(c.errorCode, `FindCoordinator(${keyType === 0 ? 'group' : 'transaction'} ${key})`, c.errorMessage);
    const node = { nodeId: c.nodeId, host: c.host, port: c.port };
    this.coordinators.set(id, node);
    return node;
  }

  /** Forgets leaders and coordinators (after a routing error or a lost connection): looked up again on next use. */
  forgetRouting(): void {
    this.leaders.clear();
    this.coordinators.clear();
  }

  /**
   * Runs `op` until it succeeds, retrying Kafka's retriable errors and lost connections (with
   * routing forgotten, so leaders and coordinators are looked up again) for up to 90 s.
   */
  async retry<T>(what: string, op: () => Promise<T>, timeoutMs = RETRY_MS): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (let delay = 20; ; delay = Math.min(delay * 2, 1_000)) {
      try {
        return await op();
      } catch (e) {
        if (!isRetriable(e) || Date.now() > deadline || this.closed) {
          if (e instanceof TributaryError && !e.message.startsWith(what)) e.message = `${what}: ${e.message}`;
          throw e;
        }
        if (STALE_ROUTING.has(kafkaNameOf(e) ?? '')) this.forgetRouting();
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.pools.map((p) => p.close().catch(() => {})));
    this.pools.length = 0;
  }
}
