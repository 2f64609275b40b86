import { TributaryError } from '../records/errors.js';

/**
 * The topology cannot run as written: a malformed duration, a duplicate name, a session window
 * aggregation without a merger. Raised when the topology is declared or built, never mid-stream.
 */
export class TopologyError extends TributaryError {
  constructor(message: string) {
    super('INVALID_CONFIG', message);
  }
}

/**
 * Inputs that must be co-partitioned (the two sides of a join, a stream and the table it looks
 * up) have different partition counts, so records with the same key would meet in different
 * tasks. Raised when the topology is started with the runtime's partition counts.
 */
export class CoPartitioningError extends TributaryError {
  readonly topics: Readonly<Record<string, number>>;
  constructor(topics: Record<string, number>, why: string) {
    const list = Object.entries(topics).map(([t, n]) => `${t} (${n})`).join(', ');
    super('INVALID_PARTITIONS', `topics must have the same number of partitions for ${why}: ${list}`);
    this.topics = topics;
  }
}

/**
 * A record could not be processed and the application's dead-letter policy is 'fail': the task
 * stops, nothing of the failing batch is committed, and the record is at `topic/partition@offset`.
 */
export class ProcessingError extends TributaryError {
  readonly operator: string;
  readonly topic: string | undefined;
  readonly partition: number | undefined;
  readonly offset: number | undefined;
  constructor(operator: string, source: { topic: string; partition: number; offset: number } | undefined, cause: unknown) {
    const where = source ? ` (record ${source.topic}/${source.partition}@${source.offset})` : '';
    super('INVALID_RECORD', `${operator} failed${where}: ${errorMessage(cause)}`, { cause });
    this.operator = operator;
    this.topic = source?.topic;
    this.partition = source?.partition;
    this.offset = source?.offset;
  }
}

/**
 * A record came after every window (or join partner) it belonged to had closed. It goes to the
 * dead-letter topic when nobody reads late(). One shared instance without a stack: lateness is
 * about the data's timing, not a code path, and a captured stack per late record was measurable.
 */
export class LateRecordError extends TributaryError {
  static readonly instance = LateRecordError.make();
  private static make(): LateRecordError {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return new LateRecordError();
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
  private constructor() {
    super('INVALID_RECORD', 'late record: its windows have closed');
  }
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
