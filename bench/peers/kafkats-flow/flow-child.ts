/**
 * The @kafkats/flow peer (0.12.0, a Kafka Streams-style DSL for Node), one run in a process of its
 * own: node --import tsx bench/peers/kafkats-flow/flow-child.ts <bootstrap> <input> <query> <output> <appId>
 *
 * The queries @kafkats/flow can express the way nexmark/nexmark defines them: q0-q2 (filter,
 * mapValues). It has no process()/state-store API, no event-time timers, no suppress and no grace
 * period, and its joins are key-equality stream-table/stream-stream/table-table only, so q3-q8
 * (a regular join on a foreign key, per-window maxima emitted when the window closes, a same-window
 * join) have no faithful formulation in it; they are not run rather than approximated.
 *
 * exactly_once (its transactional mode), commit interval 100 ms (its default, as Kafka Streams'),
 * consumer maxRecords raised (see below: the default loses records).
 * The run ends when the group's committed offsets reach the end of the input; they are polled with
 * Tributary's Kafka client every 100 ms in this process (a few requests a second, inside the CPU
 * time measured). Prints {"seconds","cpu_seconds"}: process.cpuUsage() from before start().
 */
import { flow, json, type KStream } from '@kafkats/flow';
import { kafka } from '../../../src/index.js';
import type { Bid } from '../../nexmark/model.js';
import { KAFKATS_FLOW_QUERIES } from './peer.js';

/** A bid as the log's JSON carries it (the model's Bid without its type tag). */
type BidJson = Omit<Bid, 'type'>;

interface EventJson {
  event_type: number;
  bid?: BidJson;
}

function build(events: KStream<Buffer, EventJson>, query: string, output: string): void {
  const bids = events.filter((_k, e) => e !== null && e.event_type === 2);
  switch (query) {
    case 'q0':
      bids
        .mapValues((e) => ({ auction: e!.bid!.auction, bidder: e!.bid!.bidder, price: e!.bid!.price, dateTime: e!.bid!.dateTime, extra: e!.bid!.extra }))
        .to(output, { value: json() });
      return;
    case 'q1':
      bids
        .mapValues((e) => ({ auction: e!.bid!.auction, bidder: e!.bid!.bidder, price: (e!.bid!.price * 908) / 1000, dateTime: e!.bid!.dateTime, extra: e!.bid!.extra }))
        .to(output, { value: json() });
      return;
    case 'q2':
      bids
        .filter((_k, e) => e!.bid!.auction % 123 === 0)
        .mapValues((e) => ({ auction: e!.bid!.auction, price: e!.bid!.price }))
        .to(output, { value: json() });
      return;
    default:
      throw new Error(`the @kafkats/flow peer has no ${query}; it has ${KAFKATS_FLOW_QUERIES.join(', ')}`);
  }
}

async function main(): Promise<void> {
  const [bootstrap, input, query, output, appId] = process.argv.slice(2);
  if (!bootstrap || !input || !query || !output || !appId) throw new Error('usage: flow-child.ts <bootstrap> <input> <query> <output> <appId>');
  const log = await kafka({ brokers: bootstrap, clientId: 'tributary-bench-watch' }).connect();
  try {
    // Kept forever: the records carry the events' times (2015), which retention would delete.
    await log.createTopics([{ name: output, partitions: 1, config: { 'retention.ms': -1 } }]);
    const info = (await log.describeTopics([input])).get(input);
    if (!info) throw new Error(`no topic ${input}`);
    const parts = Array.from({ length: info.partitions }, (_, partition) => ({ topic: input, partition }));
    const ends = await log.endOffsets(parts);
    // maxRecords: with its default (500 per poll) @kafkats/flow 0.12.0 drops the fetched records
    // beyond the first poll's share (whole runs of offsets never reach the topology, yet their
    // offsets are committed: about half of q0's rows went missing here); a poll limit above what
    // one fetch returns avoids it.
    const app = flow({
      applicationId: appId,
      client: { brokers: [bootstrap], clientId: appId },
      processingGuarantee: 'exactly_once',
      consumer: { maxRecords: 1_000_000 },
    });
    build(app.stream<Buffer, EventJson>(input, { value: json<EventJson>(), offsetReset: 'earliest' }), query, output);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await app.start();
    for (;;) {
      if (app.state() === 'ERROR') throw new Error('@kafkats/flow stopped with an error');
      const committed = await log.committedOffsets(appId, parts);
      if (committed.every((c, i) => c >= ends[i]!)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    process.stdout.write(JSON.stringify({ seconds, cpu_seconds: (cpu.user + cpu.system) / 1e6 }) + '\n');
    await app.close();
  } finally {
    await log.close();
  }
}

if (process.argv[1]?.endsWith('flow-child.ts')) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
