import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request, type IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import type { Log } from '../../../src/connectors/index.js';
import { HttpConnector, type HttpConnectorOptions } from '../../../src/connectors/http/index.js';
import { partitionForKey } from '../../../src/records/partitioner.js';
import { readTopic, withLog } from '../files/support.js';

async function withServer(fn: (c: HttpConnector, log: Log) => Promise<void>, options: Partial<HttpConnectorOptions> = {}): Promise<void> {
  await withLog(async (log) => {
    await log.createTopics([{ name: 'clicks', partitions: 3 }]);
    const c = new HttpConnector({ log, heartbeatMs: 60_000, ...options });
    await c.start();
    try {
      await fn(c, log);
    } finally {
      await c.close();
    }
  });
}

async function post(c: HttpConnector, path: string, body: string, contentType = 'application/json'): Promise<{ status: number; body: any; headers: Record<string, unknown> }> {
  const res = await fetch(c.url + path, { method: 'POST', body, headers: { 'content-type': contentType } });
  return { status: res.status, body: await res.json(), headers: Object.fromEntries(res.headers) };
}

test('POST: an object, an array, JSON Lines -> 201 with the offsets each record got, keyed records on their key\'s partition', () =>
  withServer(async (c, log) => {
    const one = await post(c, '/topics/clicks?key=user', JSON.stringify({ user: 'ann', page: '/a' }));
    assert.equal(one.status, 201);
    const p = partitionForKey(Buffer.from('ann'), 3);
    assert.deepEqual(one.body, { topic: 'clicks', count: 1, offsets: [{ partition: p, baseOffset: 0, lastOffset: 0, count: 1 }] });
    const many = await post(c, '/topics/clicks?key=user', JSON.stringify([{ user: 'bob', page: '/b' }, { user: 'ann', page: '/c' }, { user: 'cid', page: '/d' }]));
    assert.equal(many.status, 201);
    assert.equal(many.body.count, 3);
    const lines = await post(c, '/topics/clicks?key=user', '{"user":"ann","page":"/e"}\n\n{"user":"dan","page":"/f"}\n', 'application/x-ndjson');
    assert.equal(lines.status, 201);
    assert.equal(lines.body.count, 2);
    const got = await readTopic(log, 'clicks');
    assert.equal(got.length, 6);
    for (const r of got) assert.equal(r.partition, partitionForKey(Buffer.from(r.key!), 3));
    // The reported offsets are where the records are.
    for (const resp of [one, many, lines]) {
      for (const range of resp.body.offsets as Array<{ partition: number; baseOffset: number; lastOffset: number; count: number }>) {
        const inLog = got.filter((r) => r.partition === range.partition && r.offset >= range.baseOffset && r.offset <= range.lastOffset);
        assert.equal(inLog.length, range.count);
      }
    }
    assert.deepEqual(got.filter((r) => r.key === 'ann').map((r) => JSON.parse(r.value!).page), ['/a', '/c', '/e']);
  }));

test('POST: bad input is 400 with the reason (and line), wrong type 415, unknown topic 404, too large 413', () =>
  withServer(
    async (c) => {
      const cases: Array<[string, string, string | undefined, number, RegExp]> = [
        ['/topics/clicks', '{"user":', undefined, 400, /not JSON/],
        ['/topics/clicks', 'null', undefined, 400, /record 0 is null/],
        ['/topics/clicks', '[]', undefined, 400, /no records/],
        ['/topics/clicks', '', undefined, 400, /empty/],
        ['/topics/clicks', '{"a":1}\n{"a":\n', 'application/x-ndjson', 400, /line 2 is not JSON/],
        ['/topics/clicks', 'a,b', 'text/csv', 415, /unsupported content type/],
        ['/topics/nope', '{"a":1}', undefined, 404, /does not exist/],
        ['/topics/clicks', JSON.stringify({ pad: 'x'.repeat(300) }), undefined, 413, /larger than 200 bytes/],
      ];
      for (const [path, body, type, status, reason] of cases) {
        const r = await post(c, path, body, type);
        assert.equal(r.status, status, `${body} -> ${r.status} ${JSON.stringify(r.body)}`);
        assert.match(r.body.error, reason);
      }
      const bad = await post(c, '/topics/clicks', '{"a":1}\n{"a":\n', 'application/x-ndjson');
      assert.equal(bad.body.line, 2);
      assert.equal(c.stats.records, 0, 'nothing of a refused request is written');
    },
    { maxBodyBytes: 200 },
  ));

test('POST: over the in-flight bound -> 429 with Retry-After (before reading the body); accepted again once it drains', () =>
  withServer(
    async (c, log) => {
      // A slow client holds 80 bytes in flight: its body is declared but not all sent yet.
      const body = JSON.stringify({ user: 'slow', pad: 'y'.repeat(80 - JSON.stringify({ user: 'slow', pad: '' }).length) });
      assert.equal(Buffer.byteLength(body), 80);
      let slowRes!: Promise<IncomingMessage>;
      const slow = request(c.url + '/topics/clicks', { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': 80 } });
      slowRes = new Promise((resolve) => slow.on('response', resolve));
      slow.write(body.slice(0, 10));
      while (c.inFlightBytes < 80) await new Promise((r) => setImmediate(r));
      const refused = await post(c, '/topics/clicks', JSON.stringify({ user: 'x', pad: 'z'.repeat(30) }));
      assert.equal(refused.status, 429);
      assert.equal(refused.headers['retry-after'], '2');
      assert.match(refused.body.error, /in flight/);
      slow.end(body.slice(10));
      assert.equal((await slowRes).statusCode, 201);
      while (c.inFlightBytes > 0) await new Promise((r) => setImmediate(r));
      assert.equal((await post(c, '/topics/clicks', JSON.stringify({ user: 'x', pad: 'z'.repeat(30) }))).status, 201);
      assert.equal(c.stats.throttled, 1);
      assert.deepEqual((await readTopic(log, 'clicks')).map((r) => JSON.parse(r.value!).user).sort(), ['slow', 'x']);
    },
    { maxInFlightBytes: 100, retryAfterSeconds: 2 },
  ));

/** A minimal Server-Sent Events reader: yields events as they arrive. */
function sseEvents(url: string, headers: Record<string, string> = {}): { next: (n: number) => Promise<Array<{ id: string; data: any }>>; close: () => void } {
  const queue: Array<{ id: string; data: any }> = [];
  let wake: (() => void) | null = null;
  let buffer = '';
  const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
    assert.equal(res.headers['content-type'], 'text/event-stream');
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = Object.fromEntries(block.split('\n').filter((l) => !l.startsWith(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
        if (fields.data !== undefined) queue.push({ id: fields.id!, data: JSON.parse(fields.data) });
      }
      wake?.();
    });
  });
  req.on('error', () => {});
  req.end();
  return {
    async next(n) {
      while (queue.length < n) await new Promise<void>((r) => (wake = r));
      return queue.splice(0, n);
    },
    close: () => req.destroy(),
  };
}

test('SSE: from earliest, then live; Last-Event-ID resumes right after an event, across partitions', () =>
  withServer(async (c) => {
    const users = ['a', 'b', 'c', 'd', 'e', 'f'];
    await post(c, '/topics/clicks?key=user', JSON.stringify(users.slice(0, 4).map((user, n) => ({ user, n }))));
    const s = sseEvents(`${c.url}/topics/clicks/events?from=earliest`);
    const first = await s.next(4);
    assert.deepEqual(first.map((e) => e.data.value.n).sort(), [0, 1, 2, 3]);
    assert.deepEqual(first.map((e) => e.data.key).sort(), ['a', 'b', 'c', 'd']);
    await post(c, '/topics/clicks?key=user', JSON.stringify(users.slice(4).map((user, n) => ({ user, n: n + 4 }))));
    const live = await s.next(2);
    assert.deepEqual(live.map((e) => e.data.value.n).sort(), [4, 5]);
    s.close();
    // Resume after the second event: exactly the events that followed it, none twice.
    const all = [...first, ...live];
    const resumed = sseEvents(`${c.url}/topics/clicks/events`, { 'last-event-id': all[1]!.id });
    const rest = await resumed.next(4);
    assert.deepEqual(rest.map((e) => e.data.value.n).sort(), all.slice(2).map((e) => e.data.value.n).sort());
    resumed.close();
  }));

test('SSE: the default start is the latest offset (only new records); a bad Last-Event-ID is 400', () =>
  withServer(async (c) => {
    await post(c, '/topics/clicks', JSON.stringify({ n: 'old' }));
    const s = sseEvents(`${c.url}/topics/clicks/events`);
    while (c.stats.subscribers < 1) await new Promise((r) => setImmediate(r));
    await post(c, '/topics/clicks', JSON.stringify({ n: 'new' }));
    assert.deepEqual((await s.next(1)).map((e) => e.data.value), [{ n: 'new' }]);
    s.close();
    const bad = await fetch(`${c.url}/topics/clicks/events`, { headers: { 'last-event-id': 'garbage' } });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /not an event id/);
    assert.equal((await fetch(`${c.url}/topics/none/events`)).status, 404);
  }));

test('WebSocket: the same events as JSON messages, from earliest then live', () =>
  withServer(async (c) => {
    await post(c, '/topics/clicks', JSON.stringify([{ n: 1 }, { n: 2 }]));
    const ws = new WebSocket(`${c.url.replace('http', 'ws')}/topics/clicks/ws?from=earliest`);
    const got: any[] = [];
    let wake: (() => void) | null = null;
    ws.on('message', (m) => {
      got.push(JSON.parse(m.toString()));
      wake?.();
    });
    const until = async (n: number): Promise<void> => {
      while (got.length < n) await new Promise<void>((r) => (wake = r));
    };
    await until(2);
    await post(c, '/topics/clicks', JSON.stringify({ n: 3 }));
    await until(3);
    assert.deepEqual(got.map((e) => e.value.n).sort(), [1, 2, 3]);
    for (const e of got) assert.match(e.id, /^0:\d+,1:\d+,2:\d+$/);
    ws.close();
    const refused = new WebSocket(`${c.url.replace('http', 'ws')}/topics/none/ws`);
    const status = await new Promise<number>((resolve) => refused.on('unexpected-response', (_req, res) => resolve(res.statusCode!)).on('error', () => {}));
    assert.equal(status, 404);
  }));

test('access: only loopback without a token; with a token every route needs it, and a refused POST writes nothing', async () => {
  await withLog(async (log) => {
    await assert.rejects(new HttpConnector({ log, host: '0.0.0.0' }).start(), (e: Error & { code?: string }) => e.code === 'INVALID_CONFIG' && /token is required/.test(e.message));
    await assert.rejects(new HttpConnector({ log, token: 'short' }).start(), /at least 16 characters/);
  });
  const token = 'a-long-enough-token-0123';
  await withServer(
    async (c, log) => {
      const refused = await post(c, '/topics/clicks', JSON.stringify({ n: 1 }));
      assert.equal(refused.status, 401);
      const wrong = await fetch(`${c.url}/topics/clicks`, { method: 'POST', body: '{"n":1}', headers: { 'content-type': 'application/json', authorization: 'Bearer not-the-token-at-all' } });
      assert.equal(wrong.status, 401);
      assert.equal((await readTopic(log, 'clicks')).length, 0, 'nothing written without the token');
      const ok = await fetch(`${c.url}/topics/clicks`, { method: 'POST', body: '{"n":2}', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } });
      assert.equal(ok.status, 201);
      assert.equal((await fetch(`${c.url}/topics/clicks/events?from=earliest`)).status, 401);
      const s = sseEvents(`${c.url}/topics/clicks/events?from=earliest&token=${token}`);
      assert.deepEqual((await s.next(1)).map((e) => e.data.value), [{ n: 2 }]);
      s.close();
      const ws = new WebSocket(`${c.url.replace('http', 'ws')}/topics/clicks/ws?from=earliest`);
      const status = await new Promise<number>((resolve) => ws.on('unexpected-response', (_req, res) => resolve(res.statusCode!)).on('error', () => {}));
      assert.equal(status, 401);
    },
    { token },
  );
});
