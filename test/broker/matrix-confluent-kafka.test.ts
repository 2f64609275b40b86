import { test } from 'node:test';
import { confluentKafka } from './matrix/clients.js';
import { runClientMatrix } from './matrix/driver.js';
import { commandExists, pythonModuleExists } from './helpers.js';

test('client matrix, confluent-kafka: create a topic, produce keyed and unkeyed with each compression, consume from the beginning, a 3-member group over 6 partitions rebalancing on leave and join, resume from committed offsets after a broker restart', { skip: pythonModuleExists('confluent_kafka') ? false : 'confluent-kafka-python is not installed (Debian package python3-confluent-kafka)' }, (t) =>
  runClientMatrix(t, confluentKafka()),
);
