import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { embedded, type Log } from '../../../src/connectors/index.js';
import { PostgresSink, RecordMappingError, RowMapper } from '../../../src/connectors/postgres/index.js';
import { silentLogger } from '../../../src/log/logger.js';
import { postgresAvailable, startPostgres, type PostgresServer } from '../../support/postgres.js';
import { runCli } from '../../cli/run-cli.js';
import { TOTALS_DDL, TOTALS_MAPPING, expectedTotals, payments, producePayments } from './fixtures.js';

const avail = postgresAvailable();
const CHILD = fileURLToPath(new URL('./sink-child.ts', import.meta.url));

let server: PostgresServer;
let dbCounter = 0;

/** A fresh database per test: tables and offsets of one test never meet another's. */
async function freshDb(): Promise<{ url: string; client: pg.Client }> {
  const admin = new pg.Client(server.url);
  await admin.connect();
  const name = `t${++dbCounter}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = server.url.replace(/\/postgres$/, `/${name}`);
  const client = new pg.Client(url);
  client.on('error', () => {}); // the server stops after a failed test: not an uncaught exception
  await client.connect();
  return { url, client };
}

async function withLogDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-pgsink-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function openLog(dir: string): Promise<Log> {
  return embedded({ dataDir: dir, logOptions: { logger: silentLogger, cleanerIntervalMs: 0 } }).connect();
}

async function tableOf(client: pg.Client): Promise<Map<string, { total: number; events: number; last: number }>> {
  const r = await client.query<{ user_id: string; total: string; events: string; last_amount: string }>('SELECT * FROM totals');
  return new Map(r.rows.map((x) => [x.user_id, { total: Number(x.total), events: Number(x.events), last: Number(x.last_amount) }]));
}

function runChild(dir: string, url: string, crash?: { at: number; phase: 'before' | 'after' }): Promise<{ code: number | null; signal: string | null }> {
  const args = ['--import', 'tsx', CHILD, dir, url, ...(crash ? [String(crash.at), crash.phase] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
}

describe('PostgreSQL sink', { skip: avail.ok ? false : avail.why }, () => {
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server?.stop();
  });

  test('upserts: rows equal the reference (adds, sets, keeps, tombstones delete, keys from the record key)', () =>
    withLogDir(async (dir) => {
      const { url, client } = await freshDb();
      await client.query('CREATE TABLE items (tenant text, id int, name text, qty bigint, first_seen text, src_offset bigint, PRIMARY KEY (tenant, id))');
      const log = await openLog(dir);
      await log.createTopics([{ name: 'items', partitions: 1 }]);
      const p = await log.producer();
      const send = (key: object, value: object | null): void =>
        p.send({ topic: 'items', partition: 0, timestamp: 1, key: Buffer.from(JSON.stringify(key)), value: value && Buffer.from(JSON.stringify(value)), headers: [] });
      send({ t: 'a', id: 1 }, { name: 'apple', qty: 2, seen: 'mon' });
      send({ t: 'a', id: 2 }, { name: 'pear', qty: 5, seen: 'mon' });
      send({ t: 'a', id: 1 }, { name: 'Apple', qty: 3, seen: 'tue' });
      send({ t: 'b', id: 1 }, { name: 'fig', qty: 1, seen: 'tue' });
      send({ t: 'a', id: 2 }, null); // deleted
      send({ t: 'b', id: 1 }, null);
      send({ t: 'b', id: 1 }, { name: 'fig2', qty: 7, seen: 'wed' }); // deleted, then new: starts from 0
      await p.flush();
      const mapping = {
        table: 'items',
        keyColumns: ['tenant', 'id'],
        columns: {
          tenant: { from: 'key' as const, field: 't' },
          id: { from: 'key' as const, field: 'id' },
          name: 'name',
          qty: { field: 'qty', onConflict: 'add' as const },
          first_seen: { field: 'seen', onConflict: 'keep' as const },
          src_offset: { from: 'offset' as const },
        },
      };
      // Two runs with a batch each: the second one upserts onto rows the first wrote.
      await new PostgresSink({ name: 'items', log, topic: 'items', connection: url, mapping }).run({ untilEnd: true });
      send({ t: 'a', id: 1 }, { name: 'APPLE', qty: 10, seen: 'thu' });
      await p.flush();
      const sink = new PostgresSink({ name: 'items', log, topic: 'items', connection: url, mapping });
      await sink.run({ untilEnd: true });
      assert.equal(sink.stats.records, 1, 'the second run resumes after the first one, from the offsets in PostgreSQL');
      const rows = (await client.query('SELECT tenant, id, name, qty::int AS qty, first_seen, src_offset::int AS o FROM items ORDER BY tenant, id')).rows;
      assert.deepEqual(rows, [
        { tenant: 'a', id: 1, name: 'APPLE', qty: 15, first_seen: 'mon', o: 7 },
        { tenant: 'b', id: 1, name: 'fig2', qty: 7, first_seen: 'wed', o: 6 },
      ]);
      const off = (await client.query('SELECT sink, topic, partition, next_offset::int AS n FROM tributary_offsets')).rows;
      assert.deepEqual(off, [{ sink: 'items', topic: 'items', partition: 0, n: 8 }]);
      await p.close();
      await log.close();
      await client.end();
    }));

  test('a batch merged per key gives the same rows as applying its records one by one', () => {
    const m = new RowMapper(TOTALS_MAPPING);
    const recs = payments(200, 5).map((p, i) => ({ topic: 't', partition: 0, offset: i, timestamp: 0, key: null, value: Buffer.from(JSON.stringify(p)) }));
    const { upserts, deletes } = m.changes(recs);
    assert.equal(deletes.length, 0);
    const exp = expectedTotals(payments(200, 5));
    assert.deepEqual(new Map(upserts.map((r) => [r[0], { total: r[1], events: r[2], last: r[3] }])), exp);
  });

  test('a record that is not JSON fails the sink with its position, or is skipped with onBadRecord skip', () =>
    withLogDir(async (dir) => {
      const { url, client } = await freshDb();
      await client.query(TOTALS_DDL);
      const log = await openLog(dir);
      await producePayments(log, payments(10, 3), 1);
      const p = await log.producer();
      p.send({ topic: 'payments', partition: 0, timestamp: 1, key: null, value: Buffer.from('{oops'), headers: [] });
      await p.flush();
      const failing = new PostgresSink({ name: 'x', log, topic: 'payments', connection: url, mapping: TOTALS_MAPPING });
      await assert.rejects(failing.run({ untilEnd: true }), (e: unknown) => e instanceof RecordMappingError && e.code === 'INVALID_RECORD' && /payments-0@10/.test(e.message));
      assert.equal((await tableOf(client)).size, 0, 'nothing of the failed batch is committed');
      const skipping = new PostgresSink({ name: 'x', log, topic: 'payments', connection: url, mapping: TOTALS_MAPPING, onBadRecord: 'skip', warn: () => {} });
      await skipping.run({ untilEnd: true });
      assert.equal(skipping.stats.skipped, 1);
      assert.deepEqual(await tableOf(client), expectedTotals(payments(10, 3)));
      await log.close();
      await client.end();
    }));

  test('connection loss mid-stream (backend terminated before COMMIT and after it): reconnects, nothing lost or doubled', () =>
    withLogDir(async (dir) => {
      const { url, client } = await freshDb();
      await client.query(TOTALS_DDL);
      const ps = payments(3000, 40);
      const log = await openLog(dir);
      await producePayments(log, ps);
      const kill = async (victim: pg.ClientBase): Promise<void> => {
        const pid = (await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
        await client.query('SELECT pg_terminate_backend($1)', [pid]);
      };
      let sinkClient: pg.ClientBase | null = null;
      const sink = new PostgresSink({
        name: 'totals',
        log,
        topic: 'payments',
        connection: url,
        mapping: TOTALS_MAPPING,
        maxBytesPerPartition: 2048,
        initialBackoffMs: 10,
        warn: () => {},
        beforeCommit: async (i, c) => {
          sinkClient = c;
          if (i.transaction === 3) await kill(c); // the COMMIT fails: the batch is read again
        },
        onCommit: async (i) => {
          if (i.transaction === 6) await kill(sinkClient!); // committed: the next batch's query fails
        },
      });
      await sink.run({ untilEnd: true });
      assert.ok(sink.stats.retries >= 2, `retried ${sink.stats.retries} times`);
      assert.deepEqual(await tableOf(client), expectedTotals(ps));
      await log.close();
      await client.end();
    }));

  test('SIGKILL of the sink process before and after a COMMIT, then a restart: every payment counted exactly once', () =>
    withLogDir(async (dir) => {
      const { url, client } = await freshDb();
      await client.query(TOTALS_DDL);
      const ps = payments(4000, 50);
      const log = await openLog(dir);
      await producePayments(log, ps);
      await log.close(); // the child processes open the log directory
      const first = await runChild(dir, url, { at: 4, phase: 'before' });
      assert.equal(first.signal, 'SIGKILL');
      const partial = await tableOf(client);
      const counted = [...partial.values()].reduce((a, e) => a + e.events, 0);
      assert.ok(counted > 0 && counted < ps.length, `the first run stopped mid-stream (${counted} of ${ps.length})`);
      const second = await runChild(dir, url, { at: 3, phase: 'after' });
      assert.equal(second.signal, 'SIGKILL');
      const last = await runChild(dir, url);
      assert.equal(last.code, 0);
      assert.deepEqual(await tableOf(client), expectedTotals(ps));
      await client.end();
    }));

  test('tributary connect postgres-sink --until-end: the same table from the command line; run again, nothing doubles', () =>
    withLogDir(async (dir) => {
      const { url, client } = await freshDb();
      await client.query(TOTALS_DDL);
      const ps = payments(500, 9);
      const log = await openLog(dir);
      await producePayments(log, ps);
      await log.close();
      const args = ['-d', dir, 'connect', 'postgres-sink', '--name', 'cli', '--topic', 'payments', '--url', url, '--table', 'totals', '--key', 'user_id',
        '--column', 'user_id=user', '--column', 'total=amount:add', '--column', 'events=one:add', '--column', 'last_amount=amount', '--until-end'];
      const first = await runCli(args);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stderr, /"records":500/);
      const again = await runCli(args);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /"records":0/);
      assert.deepEqual(await tableOf(client), expectedTotals(ps));
      const bad = await runCli([...args.slice(0, -9), '--column', 'x=y:double']);
      assert.equal(bad.code, 2);
      await client.end();
    }));
});
