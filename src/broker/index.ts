/**
 * The broker: the embedded log over the Kafka wire protocol, so any Kafka client can produce to and
 * consume from it. One node acts as broker, controller, group coordinator and transaction
 * coordinator (the log's: idempotent and transactional producers, TxnOffsetCommit offsets pending
 * in `__consumer_offsets` until their transaction ends, timed-out transactions aborted). Imports
 * log/, records/ and protocol/.
 */
export { startBroker, type Broker } from './broker.js';
export {
  silentBrokerLogger,
  stderrBrokerLogger,
  type BrokerLogger,
  type BrokerOptions,
  type PlainCredentials,
} from './options.js';
export { CONSUMER_OFFSETS_TOPIC } from './topics.js';
export type { SecurityOptions, TlsOptions, QuotaOptions, ByteRates, SaslMechanism, AclBinding } from './security/index.js';
