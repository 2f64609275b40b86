/**
 * The broker: the embedded log over the Kafka wire protocol, so any Kafka client can produce to and
 * consume from it. One node acts as broker, controller and group coordinator (the transaction
 * coordinator comes with the log's producer state). Imports log/, records/ and protocol/.
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
