import type { MessagePort } from 'node:worker_threads';
import { CONSUMER_OFFSETS_TOPIC } from '../embedded/group-offsets.js';
import { EmbeddedLog } from '../embedded/index.js';
import type { ConsumerOptions, FetchedPartition, Isolation, LogConsumer, NewTopic, PartitionOffset, TopicPartition } from '../log.js';
import { detachedCopy, toWireError, type Reply, type Request } from './protocol.js';

/** A fetched partition as it crosses to the worker: its records in a transferred ArrayBuffer. */
export interface WireFetchedPartition extends Omit<FetchedPartition, 'records'> {
  readonly records: ArrayBuffer;
}

/** A topic's batch limits, as a worker's producer needs them: [max.message.bytes, segment.bytes]. */
export type WireLimits = readonly [number, number];

/**
 * Serves the embedded log of this thread to a worker thread over `port` (the worker's side:
 * client.ts). What a worker asks crosses per call, not per record: fetches return whole batches,
 * and the worker's producer encodes its batches itself and sends each for append. The transaction
 * coordinator and the group offsets stay here, shared by every thread, so exactly-once holds as
 * across processes: each worker's producer has its own transactional id, fencing works by epoch.
 */
export function serveLog(log: EmbeddedLog, port: MessagePort): void {
  const { manager, services } = log;
  const consumers = new Map<number, LogConsumer>();
  const consumer = (cid: number): LogConsumer => {
    const c = consumers.get(cid);
    if (!c) throw new Error(`no consumer ${cid}`);
    return c;
  };
  const limits = (topic: string): WireLimits => {
    const c = manager.describeTopic(topic).config;
    return [c['max.message.bytes'], c['segment.bytes']];
  };
  const ops: Record<string, (...args: never[]) => unknown> = {
    describeTopics: async (topics: string[]) => [...(await log.describeTopics(topics))],
    createTopics: (topics: NewTopic[]) => log.createTopics(topics),
    endOffsets: (tps: TopicPartition[], isolation: Isolation) => log.endOffsets(tps, isolation),
    beginningOffsets: (tps: TopicPartition[]) => log.beginningOffsets(tps),
    committedOffsets: (group: string, tps: TopicPartition[]) => log.committedOffsets(group, tps),
    commitOffsets: (group: string, offsets: PartitionOffset[]) => log.commitOffsets(group, offsets),
    deleteRecords: (offsets: PartitionOffset[]) => log.deleteRecords(offsets),
    deleteTopics: (names: string[]) => log.deleteTopics(names),
    consumer: (cid: number, options: ConsumerOptions) => void consumers.set(cid, log.consumer(options)),
    assign: (cid: number, parts: PartitionOffset[]) => consumer(cid).assign(parts),
    seek: (cid: number, tp: TopicPartition, offset: number) => consumer(cid).seek(tp, offset),
    pause: (cid: number, tps: TopicPartition[]) => consumer(cid).pause(tps),
    resume: (cid: number, tps: TopicPartition[]) => consumer(cid).resume(tps),
    wakeup: (cid: number) => consumers.get(cid)?.wakeup(),
    closeConsumer: (cid: number) => {
      consumers.get(cid)?.close();
      consumers.delete(cid);
    },
    fetch: async (cid: number, maxWaitMs: number) => {
      const fetched = await consumer(cid).fetch(maxWaitMs);
      return fetched.map((f): WireFetchedPartition => ({ ...f, records: detachedCopy(f.records) }));
    },
    offsetsPartitions: () => manager.partitionCount(CONSUMER_OFFSETS_TOPIC),
    limits: (topic: string) => limits(topic),
    initProducerId: (tid: string, timeoutMs: number) => services.coordinator.initProducerId(tid, timeoutMs),
    addPartitions: (tid: string, pid: number, epoch: number, tps: TopicPartition[]) => services.coordinator.addPartitions(tid, pid, epoch, tps),
    addOffsets: (tid: string, pid: number, epoch: number, group: string) => services.coordinator.addOffsets(tid, pid, epoch, group),
    endTxn: (tid: string, pid: number, epoch: number, commit: boolean) => services.coordinator.endTxn(tid, pid, epoch, commit),
    addPending: (pid: number, group: string, offsets: PartitionOffset[]) => services.offsets.addPending(pid, group, offsets),
    append: async (topic: string, partition: number, batch: ArrayBuffer) => {
      const log = manager.partition(topic, partition);
      await log.append(Buffer.from(batch));
      // The partition's own config: no topic description (every partition's state) per append.
      return [log.config['max.message.bytes'], log.config['segment.bytes']] satisfies WireLimits;
    },
    close: () => {
      for (const c of consumers.values()) c.close();
      consumers.clear();
    },
  };
  const reply = (r: Reply, transfer?: ArrayBuffer[]): void => port.postMessage(r, transfer);
  port.on('message', (m: Request) => {
    const op = ops[m.op];
    let result: unknown;
    try {
      if (!op) throw new Error(`unknown log operation '${m.op}'`);
      result = (op as (...args: readonly unknown[]) => unknown)(...m.args);
    } catch (e) {
      if (m.id !== 0) reply({ id: m.id, error: toWireError(e) });
      return;
    }
    if (m.id === 0) {
      // A notification has no one to tell: a failure shows at the worker's next call.
      if (result instanceof Promise) result.catch(() => {});
      return;
    }
    Promise.resolve(result).then(
      (value) => reply({ id: m.id, value }, m.op === 'fetch' ? (value as WireFetchedPartition[]).map((f) => f.records) : undefined),
      (e: unknown) => reply({ id: m.id, error: toWireError(e) }),
    );
  });
  port.on('close', () => ops.close!());
}

/** Whether `log` can be served to worker threads (the embedded log; Kafka is reached from each thread directly). */
export function canServe(log: unknown): log is EmbeddedLog {
  return log instanceof EmbeddedLog;
}
