// The parallel JSON generator (bench/nexmark/parallel-generator.ts) yields exactly what one
// NexmarkGenerator's fillJson yields from the same position — bytes, event times, types and batch
// watermarks, in order — for several configs, thread counts, batch shapes (including batches whose
// bytes run out before their event count, so ranges are split) and a far-away start; and its
// worker threads are gone after the end, after an early exit and after a worker error.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GeneratorConfig, type NexmarkConfig } from '../../bench/nexmark/config.js';
import { JsonEventBatch, NexmarkGenerator } from '../../bench/nexmark/generator.js';
import { ParallelGeneratorError, ParallelJsonGenerator, jsonEventBatches, type ParallelJsonGeneratorOptions } from '../../bench/nexmark/parallel-generator.js';

interface Stream {
  bytes: Buffer;
  ends: number[];
  timestamps: number[];
  types: number[];
}

function emptyStream(): Stream {
  return { bytes: Buffer.alloc(0), ends: [], timestamps: [], types: [] };
}

function append(s: Stream, batch: JsonEventBatch): void {
  const base = s.bytes.length;
  for (let i = 0; i < batch.count; i++) {
    s.ends.push(base + batch.ends[i]!);
    s.timestamps.push(batch.timestamps[i]!);
    s.types.push(batch.types[i]!);
  }
  s.bytes = Buffer.concat([s.bytes, batch.buf.subarray(0, batch.length)]);
}

function singleThreaded(config: GeneratorConfig, from: number, to: number): Stream {
  const g = new NexmarkGenerator(config);
  g.skipTo(from);
  const batch = new JsonEventBatch(1000);
  const s = emptyStream();
  while (g.eventsCountSoFar < to && g.fillJson(batch, to - g.eventsCountSoFar) > 0) append(s, batch);
  return s;
}

async function check(label: string, cfg: Partial<NexmarkConfig>, o: ParallelJsonGeneratorOptions): Promise<number> {
  const config = new GeneratorConfig(cfg);
  const from = o.from ?? 0;
  const to = o.to ?? config.maxEvents;
  const expected = singleThreaded(config, from, to);
  const gen = new ParallelJsonGenerator(config, o);
  const got = emptyStream();
  const watermarks = new NexmarkGenerator(config);
  let pos = from;
  let batches = 0;
  try {
    for await (const batch of gen) {
      assert.ok(batch.count > 0 && batch.count <= (o.batchEvents ?? 4096), `${label}: batch size ${batch.count}`);
      append(got, batch);
      pos += batch.count;
      watermarks.skipTo(pos);
      assert.equal(batch.watermark, watermarks.currentWatermark(), `${label}: watermark after position ${pos}`);
      batches++;
    }
  } finally {
    await gen.close();
  }
  assert.equal(pos, to, `${label}: events`);
  assert.equal(got.ends.length, expected.ends.length, `${label}: event count`);
  assert.ok(got.bytes.equals(expected.bytes), `${label}: bytes`);
  assert.deepEqual(got.ends, expected.ends, `${label}: event ends`);
  assert.deepEqual(got.timestamps, expected.timestamps, `${label}: event times`);
  assert.deepEqual(got.types, expected.types, `${label}: types`);
  assert.equal(gen.liveWorkers, 0, `${label}: workers left running`);
  return batches;
}

describe('ParallelJsonGenerator', () => {
  test('default config, 2 threads: the single-threaded bytes in order', async () => {
    await check('default', { numEvents: 30_000 }, { threads: 2, batchEvents: 1000 });
  });

  test('out-of-order groups, another seed and rate, 3 threads, odd batch sizes and few slots', async () => {
    await check(
      'out-of-order',
      { numEvents: 20_011, outOfOrderGroupSize: 7, seed: 42, firstEventRate: 777, nextEventRate: 3333, rateShape: 'square', ratePeriodSec: 5 },
      { threads: 3, batchEvents: 333, slots: 4 },
    );
  });

  test('batches whose bytes run out first: ranges are split and still delivered in order', async () => {
    // Room for about ten events per batch but 100 asked: every range is cut several times.
    const batches = await check('split ranges', { numEvents: 5_000 }, { threads: 3, batchEvents: 100, batchBytes: 4_000 });
    assert.ok(batches > 5_000 / 100 * 3, `ranges were split (${batches} batches)`);
  });

  test('a far-away start and end, without channels', async () => {
    const from = 123_456_789_012;
    await check('far', { numEvents: 0, bidChannels: false }, { threads: 2, batchEvents: 512, from, to: from + 7_000 });
  });

  test('an empty range yields nothing and starts no thread', async () => {
    const gen = new ParallelJsonGenerator({ numEvents: 10 }, { from: 10 });
    assert.equal(gen.liveWorkers, 0);
    assert.deepEqual(await gen.next(), { done: true, value: undefined });
  });

  test('backpressure: a caller that stops asking stops the workers at the slot count', async () => {
    const slots = 4;
    const gen = new ParallelJsonGenerator({ numEvents: 1_000_000 }, { threads: 2, batchEvents: 500, slots });
    try {
      const first = await gen.next();
      assert.equal(first.done, false);
      // Let the workers fill every free slot; they cannot start more ranges than there are slots.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.ok(gen.rangesSent <= slots, `ranges sent while the caller held one batch: ${gen.rangesSent}`);
      let batches = 1;
      while (batches < 10 && !(await gen.next()).done) batches++;
      // After taking 9 more, at most one more range per freed slot was sent.
      assert.ok(gen.rangesSent <= slots + 9, `ranges sent after 10 batches: ${gen.rangesSent}`);
    } finally {
      await gen.close();
    }
    assert.equal(gen.liveWorkers, 0);
  });

  test('leaving the loop early terminates every worker', async () => {
    const gen = new ParallelJsonGenerator({ numEvents: 1_000_000 }, { threads: 2, batchEvents: 1000 });
    let seen = 0;
    for await (const batch of gen) {
      seen += batch.count;
      if (seen >= 3000) break;
    }
    assert.equal(seen, 3000);
    assert.equal(gen.liveWorkers, 0);
  });

  test('a worker error reaches the caller, and every worker is terminated', async () => {
    // 100 bytes cannot hold the largest event: the worker's fillJson throws.
    const gen = new ParallelJsonGenerator({ numEvents: 10_000 }, { threads: 2, batchEvents: 10, batchBytes: 100 });
    await assert.rejects(
      async () => {
        for await (const batch of gen) assert.fail(`no batch expected, got ${batch.count} events`);
      },
      (e: unknown) => e instanceof ParallelGeneratorError && e.code === 'NEXMARK_PARALLEL_GENERATOR' && /too small/.test(e.message),
    );
    await gen.close();
    assert.equal(gen.liveWorkers, 0);
  });

  test('bad options are refused', () => {
    assert.throws(() => new ParallelJsonGenerator({ numEvents: 10 }, { threads: 0 }), ParallelGeneratorError);
    assert.throws(() => new ParallelJsonGenerator({ numEvents: 10 }, { threads: 2, slots: 2 }), ParallelGeneratorError);
  });
});

describe('jsonEventBatches', () => {
  test('the threaded and the single-threaded path give the same batches, boundaries included', async () => {
    const config = { numEvents: 12_345, outOfOrderGroupSize: 3 };
    const shape = (threaded: boolean) => ({ batchEvents: 1000, ...(threaded ? { threads: 2, parallelFrom: 0 } : { threads: 1 }) });
    const collect = async (threaded: boolean): Promise<Array<{ bytes: Buffer; times: number[]; watermark: number }>> => {
      const out: Array<{ bytes: Buffer; times: number[]; watermark: number }> = [];
      for await (const b of jsonEventBatches(config, shape(threaded))) {
        out.push({ bytes: Buffer.from(b.buf.subarray(0, b.length)), times: Array.from(b.timestamps.subarray(0, b.count)), watermark: b.watermark });
      }
      return out;
    };
    const single = await collect(false);
    const threaded = await collect(true);
    assert.equal(single.length, 13);
    assert.deepEqual(threaded, single);
  });
});
