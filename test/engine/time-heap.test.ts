import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TimeHeap } from '../../src/engine/time-heap.js';

test('time heap: pops every time pushed, earliest first, across interleaved pushes and pops', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.integer({ min: -1e6, max: 1e6 }), fc.constant(null)), { maxLength: 300 }), (ops) => {
      const heap = new TimeHeap();
      const model: number[] = [];
      for (const op of ops) {
        if (op === null) {
          if (model.length === 0) continue;
          model.sort((a, b) => a - b);
          assert.equal(heap.pop(), model.shift());
        } else {
          heap.push(op);
          model.push(op);
        }
        assert.equal(heap.size, model.length);
        assert.equal(heap.min, model.length === 0 ? Infinity : Math.min(...model));
      }
      heap.clear();
      assert.equal(heap.size, 0);
      assert.equal(heap.min, Infinity);
    }),
  );
});
