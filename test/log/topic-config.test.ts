import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_TOPIC_CONFIG,
  InvalidConfigError,
  InvalidTopicError,
  parseTopicConfig,
  resolveTopicConfig,
  validateTopicName,
} from '../../src/log/index.js';

test('topic names follow Kafka rules', () => {
  for (const ok of ['a', 'orders', 'my.topic_1-x', 'A'.repeat(249), '...x', '_']) validateTopicName(ok);
  for (const bad of ['', '.', '..', 'a b', 'a/b', 'ä', 'a:b', 'A'.repeat(250), 'x\n']) {
    assert.throws(() => validateTopicName(bad), (e: unknown) => e instanceof InvalidTopicError && e.code === 'INVALID_TOPIC_EXCEPTION', bad);
  }
  assert.throws(() => validateTopicName(42), InvalidTopicError);
});

test('configs parse from strings and numbers, with Kafka names and defaults', () => {
  const c = resolveTopicConfig(
    parseTopicConfig({
      'cleanup.policy': 'delete,compact',
      'segment.bytes': '1048576',
      'retention.ms': -1,
      'min.cleanable.dirty.ratio': '0.25',
      'message.timestamp.type': 'LogAppendTime',
    }),
  );
  assert.equal(c['cleanup.policy'], 'compact,delete');
  assert.equal(c['segment.bytes'], 1048576);
  assert.equal(c['retention.ms'], -1);
  assert.equal(c['min.cleanable.dirty.ratio'], 0.25);
  assert.equal(c['message.timestamp.type'], 'LogAppendTime');
  assert.equal(c['segment.ms'], 7 * 24 * 3600 * 1000);
  assert.equal(DEFAULT_TOPIC_CONFIG['segment.bytes'], 1024 ** 3);
  assert.equal(DEFAULT_TOPIC_CONFIG['index.interval.bytes'], 4096);
});

test('invalid configs are typed INVALID_CONFIG errors', () => {
  const bad: Record<string, unknown>[] = [
    { 'no.such.config': 1 },
    { 'segment.bytes': 10 },
    { 'segment.bytes': 2 ** 31 },
    { 'segment.bytes': '12abc' },
    { 'segment.ms': 0 },
    { 'retention.ms': -2 },
    { 'retention.bytes': 1.5 },
    { 'cleanup.policy': 'forever' },
    { 'cleanup.policy': '' },
    { 'min.cleanable.dirty.ratio': 2 },
    { 'message.timestamp.type': 'Wallclock' },
    { 'max.message.bytes': -1 },
  ];
  for (const input of bad) {
    assert.throws(
      () => parseTopicConfig(input),
      (e: unknown) => e instanceof InvalidConfigError && e.code === 'INVALID_CONFIG',
      JSON.stringify(input),
    );
  }
});
