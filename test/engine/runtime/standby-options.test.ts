// numStandbyReplicas (Kafka Streams' num.standby.replicas): 0 by default, a whole number >= 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { embedded } from '../../../src/connectors/index.js';
import { TopologyError } from '../../../src/engine/errors.js';
import { resolveRuntimeOptions } from '../../../src/engine/runtime/options.js';

test('numStandbyReplicas: default 0, whole numbers only', () => {
  const log = embedded({ dataDir: '/nonexistent-not-opened' });
  assert.equal(resolveRuntimeOptions({ log }).numStandbyReplicas, 0);
  assert.equal(resolveRuntimeOptions({ log }, { numStandbyReplicas: 2 }).numStandbyReplicas, 2);
  for (const bad of [-1, 1.5, Number.NaN]) assert.throws(() => resolveRuntimeOptions({ log, numStandbyReplicas: bad }), TopologyError);
});
