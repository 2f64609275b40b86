import { InvalidTopicError } from './errors.js';

/** Kafka's limit: 249, so that `<topic>-<partition>` and the `.<id>-delete` rename fit in 255 bytes. */
export const MAX_TOPIC_NAME_LENGTH = 249;

const LEGAL = /^[a-zA-Z0-9._-]+$/;

/** Kafka's rules (org.apache.kafka.common.internals.Topic.validate). */
export function validateTopicName(name: unknown): asserts name is string {
  if (typeof name !== 'string') throw new InvalidTopicError(`topic name must be a string, got ${typeof name}`);
  if (name.length === 0) throw new InvalidTopicError('topic name is empty');
  if (name === '.' || name === '..') throw new InvalidTopicError(`topic name cannot be "${name}"`);
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    throw new InvalidTopicError(`topic name is ${name.length} characters, longer than the maximum ${MAX_TOPIC_NAME_LENGTH}`);
  }
  if (!LEGAL.test(name)) {
    throw new InvalidTopicError(`topic name "${name}" is illegal: only ASCII letters, digits, '.', '_' and '-' are allowed`);
  }
}
