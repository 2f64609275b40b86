/**
 * Type-level tests: this file must compile (`tsc --noEmit`, run by `npm test`), and every line
 * after a `// @ts-expect-error` must be a type error — tsc fails if one is not. The runtime test
 * at the end only builds the topologies.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Processor,
  StreamsApp,
  json,
  string,
  bytes,
  float64,
  session,
  tumbling,
  type KeyedStream,
  type ProcessorRecord,
  type Stream,
  type Table,
  type Windowed,
} from '../../src/index.js';

interface Click {
  user: string;
  page: string;
  kind: 'view' | 'cart';
  ts: number;
}
interface User {
  name: string;
}

function topologies(): void {
  const app = new StreamsApp({ applicationId: 'types' });
  const clicks = app.stream('clicks', { key: string(), value: json<Click>(), timestamp: (c) => c.ts });
  const users = app.table('users', { key: string(), value: json<User>() });
  const scores = app.table('scores', { key: float64(), value: float64() });

  // Types flow: Stream<string, Click> from the serdes; timestamp extractor typed from the value.
  const s: Stream<string, Click> = clicks;
  // Default serdes are bytes.
  const raw: Stream<Buffer, Buffer> = app.stream('raw');
  void raw;
  // @ts-expect-error the value is a Click, not a string
  app.stream('clicks', { value: json<Click>(), timestamp: (c: string) => c.length });

  // json(schema) infers T from the schema's parse().
  const schema = { parse: (x: unknown) => x as { n: number } };
  const nums = app.stream('nums', { value: json(schema) });
  nums.mapValues((v) => v.n + 1);
  // @ts-expect-error no such field on the schema's type
  nums.mapValues((v) => v.missing);

  // Sinks: serdes must fit the stream's key and value types.
  s.to('ok', { key: string(), value: json() });
  s.mapValues((c) => c.kind).to('kinds', { value: string() }); // a Serde<string> fits 'view' | 'cart'
  // @ts-expect-error a number serde for a string key
  s.to('bad', { key: float64() });
  // @ts-expect-error a string serde for Click values
  s.to('bad', { value: string() });

  // branch(): type guards narrow the branch's value type.
  const { views, default: rest } = s.branch({ views: (c): c is Click & { kind: 'view' } => c.kind === 'view' });
  const v: Stream<string, Click & { kind: 'view' }> = views;
  const r: Stream<string, Click> = rest.merge(views);
  void v;
  void r;

  // keyBy: the key type comes from the function; its serde must match.
  const byPage: KeyedStream<string, Click> = s.keyBy((c) => c.page, { key: string() });
  // @ts-expect-error a bytes serde for a string key
  s.keyBy((c) => c.page, { key: bytes() });

  // Aggregations: count/sum/avg give numbers; sum() without a selector needs numeric values.
  const counts: Table<string, number> = byPage.count();
  byPage.sum((c) => c.ts);
  s.mapValues((c) => c.ts).groupByKey().sum();
  // @ts-expect-error Click values cannot be summed without a selector
  byPage.sum();

  // Windows: results are keyed by Windowed<K>.
  const perWindow: Table<Windowed<string>, number> = byPage.window(tumbling('10s'), { grace: '2s' }).count();
  void perWindow;
  const late: Stream<string, Click> = byPage.window(tumbling('10s')).late();
  void late;
  // Session windows need a merger for custom aggregates...
  byPage.window(session('5m')).aggregate(() => 0, (n) => n + 1, (a, b) => a + b);
  // @ts-expect-error ...and a merger is required
  byPage.window(session('5m')).aggregate(() => 0, (n) => n + 1);
  // Durations are checked by the compiler, and at run time for values typed loosely.
  // @ts-expect-error not a Duration
  assert.throws(() => tumbling('10 seconds'), /must look like/);

  // Joins: keys must match.
  const enriched: Stream<string, string> = s.join(users, (c, u) => `${c.page}:${u.name}`);
  s.leftJoin(users, (c, u) => u?.name ?? c.user);
  // @ts-expect-error a table keyed by numbers cannot be joined with a stream keyed by strings
  s.join(scores, (c, x) => c.ts + x);
  // @ts-expect-error the left join's table value may be undefined
  s.leftJoin(users, (c, u) => u.name);
  const other = app.stream('other', { key: string(), value: json<{ amount: number }>() });
  s.join(other, (c, o) => c.ts + o.amount, { within: '5s' });
  // @ts-expect-error a stream-stream join needs a time bound
  assert.throws(() => s.join(other, (c, o) => c.ts + o.amount), /within/);
  // @ts-expect-error keys must match
  s.join(app.stream('n', { key: float64(), value: float64() }), (c, o) => o, { within: '1s' });
  const tt: Table<string, string> = counts.outerJoin(users, (n, u) => `${n ?? 0}:${u?.name ?? '?'}`);
  void tt;
  // @ts-expect-error table-table joins need the same key type
  counts.join(scores, (a, b) => a + b);
  void enriched;

  // process(): output types come from the processor.
  class Tag extends Processor<string, Click, string, number> {
    process(rec: ProcessorRecord<string, Click>): void {
      this.ctx.forward(rec.key, rec.value.ts);
      // @ts-expect-error this processor forwards numbers
      this.ctx.forward(rec.key, 'x');
    }
  }
  const tagged: Stream<string, number> = s.process(() => new Tag(), { name: 'tag' });
  void tagged;
}

test('the typed API builds (the type checks are the point of this file)', () => {
  topologies();
  assert.ok(true);
});
