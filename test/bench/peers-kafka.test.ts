import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { kafkaAvailable, startTestKafka, type TestKafka } from '../support/kafka-cluster.js';
import { agree, runKafkaPeer } from '../../bench/peers/kafka-peers.js';
import { produceEvents, runTributaryOnKafka } from '../../bench/peers/kafka-input.js';
import { kafkaRunExchange } from '../../bench/peers/tributary-kafka-run.js';
import { kafka } from '../../src/index.js';
import { ensureKafkaStreamsPeer, kafkaStreamsPeerMissing, kafkaStreamsRuns, readTopicJson } from '../../bench/peers/kafka-streams/peer.js';
import { runKafkatsFlow } from '../../bench/peers/kafkats-flow/peer.js';

/**
 * The Kafka peers of `npm run bench -- peers` must keep working and keep agreeing with Tributary:
 * on a real Kafka broker (this file's own), the same events topic, one query per peer, Kafka
 * Streams 4.4 (exactly_once_v2) and @kafkats/flow 0.12 (exactly_once) each against Tributary on
 * kafka({ brokers }); their output topics, read back read_committed, must hold the same result
 * table. The default Kafka Streams method (one warm process per system, runs alternated) is run
 * end to end on q2; @kafkats/flow's q17 (beyond its stateless queries) is compared too. q7's keyBy
 * to one key goes in memory against Kafka Streams (whose q7 has no repartition topic): checked to
 * write nothing to the repartition topic and to give the rows the topic's way gives.
 * Skipped, with the reason, without Java/Maven (no broker, no Kafka Streams).
 */
const avail = kafkaAvailable();
const missing = avail.ok ? kafkaStreamsPeerMissing() : avail.why;
const skip = missing ? `the Kafka peers cannot run here: ${missing}` : false;

const EVENTS = 20_000;

describe('Nexmark Kafka peers agree with Tributary on the same topic', { skip, timeout: 900_000 }, () => {
  let cluster: TestKafka;
  let classpath: string;
  const input = `peers-test-${process.pid}`;

  before(async () => {
    cluster = await startTestKafka({ brokers: 1 });
    classpath = ensureKafkaStreamsPeer();
    await produceEvents(cluster.bootstrap, input, EVENTS);
  });

  after(async () => {
    await cluster?.stop();
  });

  const tributaryOutput = async (query: string): Promise<Array<Record<string, unknown>>> => {
    const topic = `trib-${query}-${process.pid}`;
    const run = await runTributaryOnKafka(cluster.bootstrap, input, query, topic, topic);
    assert.ok(run.cpu_seconds > 0);
    const rows = readTopicJson(classpath, cluster.bootstrap, topic);
    assert.equal(rows.length, run.outputs);
    return rows;
  };

  test('Kafka Streams q4 (join + updating aggregate): the same final averages per category', async () => {
    const ours = await tributaryOutput('q4');
    const name = `kstreams-q4-${process.pid}`;
    const [timing] = kafkaStreamsRuns(classpath, cluster.bootstrap, input, 'q4', name, name, 1);
    assert.ok(timing && timing.cpu_seconds > 0);
    const theirs = readTopicJson(classpath, cluster.bootstrap, `${name}-0`);
    const a = agree('q4', EVENTS, ours, theirs);
    assert.ok(a.equal, a.detail);
    // q4's table has one row per category that had a winning bid: 10..14.
    assert.match(a.detail, /^[1-5] rows equal$/);
    // The check can fail: a changed final average is caught.
    const last = theirs.findLast((r) => r.id === theirs.at(-1)!.id)!;
    const changed = [...theirs, { ...last, final: (last.final as number) + 1 }];
    assert.equal(agree('q4', EVENTS, ours, changed).equal, false);
  });

  test("Kafka Streams with the events projected as Tributary's reads: q0 (a bid's extra), q3 and q8 (people's text, bids not read) give the same rows", async () => {
    for (const q of ['q0', 'q3', 'q8']) {
      const ours = await tributaryOutput(q);
      const name = `kstreams-${q}-${process.pid}`;
      kafkaStreamsRuns(classpath, cluster.bootstrap, input, q, name, name, 1);
      const theirs = readTopicJson(classpath, cluster.bootstrap, `${name}-0`);
      assert.ok(theirs.length > 0, q);
      const a = agree(q, EVENTS, ours, theirs);
      assert.ok(a.equal, `${q}: ${a.detail}`);
    }
  });

  test('Kafka Streams, warm and alternated: a first run each, then the timed runs in turn, rows agreeing', async () => {
    const [row] = await runKafkaPeer({ peer: 'kafka-streams', bootstrap: cluster.bootstrap, queries: ['q2'], events: EVENTS, repeats: 2, method: 'warm', log: () => undefined });
    assert.ok(row);
    assert.equal(row.tributary_process, 'warm');
    assert.equal(row.alternated, true);
    assert.match(row.agreement, /^\d+ rows equal$/);
    assert.ok(row.ratio !== null && row.ratio > 0);
    assert.ok(row.first_runs && row.first_runs.tributary > 0 && row.first_runs.peer > 0);
    assert.equal(row.runs.tributary.length, 2);
    assert.equal(row.runs.peer.length, 2);
    // the peer first in the first pair, Tributary first in the second, one run at a time
    assert.deepEqual(row.schedule?.map((r) => r.system), ['kafka-streams', 'tributary', 'tributary', 'kafka-streams']);
    for (let i = 1; i < row.schedule!.length; i++) assert.ok(row.schedule![i]!.start >= row.schedule![i - 1]!.end);
  });

  test('q7 against Kafka Streams: the keyBy to one key goes in memory (no repartition records), the same rows as through the topic', async () => {
    // Kafka Streams' q7 has no repartition topic, so Tributary's q7 runs with none written either.
    assert.equal(kafkaRunExchange('q7'), 'memory');
    for (const q of ['q3', 'q4', 'q5', 'q8']) assert.equal(kafkaRunExchange(q), 'log', q);
    const viaMemory = `trib-q7-memory-${process.pid}`;
    const viaLog = `trib-q7-log-${process.pid}`;
    const m = await runTributaryOnKafka(cluster.bootstrap, input, 'q7', viaMemory, viaMemory);
    const l = await runTributaryOnKafka(cluster.bootstrap, input, 'q7', viaLog, viaLog, undefined, 'log');
    assert.equal(m.exchange, 'memory');
    assert.equal(l.exchange, 'log');
    const log = await kafka({ brokers: cluster.bootstrap }).connect();
    try {
      const [memoryEnd, logEnd] = await log.endOffsets(
        [`${viaMemory}-q7-global-repartition`, `${viaLog}-q7-global-repartition`].map((topic) => ({ topic, partition: 0 })),
        'read_uncommitted',
      );
      assert.equal(memoryEnd, 0);
      // every bid (46 of each 50 events) went through the topic, plus the transactions' markers
      assert.ok(logEnd! >= (EVENTS / 50) * 46, `log exchange wrote ${logEnd}`);
    } finally {
      await log.close();
    }
    const a = readTopicJson(classpath, cluster.bootstrap, viaMemory);
    const b = readTopicJson(classpath, cluster.bootstrap, viaLog);
    assert.ok(a.length > 0 && a.length === m.outputs);
    assert.deepEqual(a, b);
  });

  test('@kafkats/flow q2 (selection): the same rows', async () => {
    const ours = await tributaryOutput('q2');
    const name = `kafkats-q2-${process.pid}`;
    const [timing] = runKafkatsFlow(cluster.bootstrap, input, 'q2', name, name, 1);
    assert.ok(timing && timing.cpu_seconds > 0);
    const theirs = readTopicJson(classpath, cluster.bootstrap, `${name}-0`);
    assert.ok(theirs.length > 10);
    const a = agree('q2', EVENTS, ours, theirs);
    assert.ok(a.equal, a.detail);
    // The check can fail: a missing row is caught.
    assert.equal(agree('q2', EVENTS, ours, theirs.slice(1)).equal, false);
  });

  test('@kafkats/flow q17 (updating aggregate per auction and day): the same final rows', async () => {
    const ours = await tributaryOutput('q17');
    const name = `kafkats-q17-${process.pid}`;
    const [timing] = runKafkatsFlow(cluster.bootstrap, input, 'q17', name, name, 1);
    assert.ok(timing && timing.cpu_seconds > 0);
    const theirs = readTopicJson(classpath, cluster.bootstrap, `${name}-0`);
    const a = agree('q17', EVENTS, ours, theirs);
    assert.ok(a.equal, a.detail);
    // @kafkats/flow sends every update (no record cache): more records than final rows
    const finalRows = Number(/^(\d+) rows equal$/.exec(a.detail)?.[1]);
    assert.ok(finalRows > 100 && theirs.length > finalRows, `${finalRows} final rows of ${theirs.length} updates`);
    // The check can fail: a changed last update of a key is caught.
    const last = theirs.at(-1)!;
    assert.equal(agree('q17', EVENTS, ours, [...theirs, { ...last, max_price: (last.max_price as number) + 1 }]).equal, false);
  });
});
