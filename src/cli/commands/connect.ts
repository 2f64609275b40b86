import type { Command } from 'commander';
import { embedded, type Log } from '../../connectors/index.js';
import { FileSink, FileSource } from '../../connectors/files/index.js';
import { HttpConnector } from '../../connectors/http/index.js';
import type { ColumnSource, ConflictAction } from '../../connectors/postgres/index.js';
import { stderrLogger } from '../../log/logger.js';
import { UsageError } from '../errors.js';
import { nonNegativeInt, positiveInt } from '../options.js';
import type { GlobalOptions } from '../main.js';

/**
 * `tributary connect <connector>`: runs one connector against the embedded log in the data
 * directory until Ctrl-C (or, for sinks with --until-end, until the topic's current end).
 */
export function registerConnect(program: Command, globals: () => GlobalOptions): void {
  const connect = program
    .command('connect')
    .description('run a connector: postgres-sink, file-source, file-sink, http (see docs/connectors.md)');

  connect
    .command('postgres-sink')
    .description('upsert a topic into a PostgreSQL table, exactly once (offsets stored in the same transaction)')
    .requiredOption('--name <name>', 'the sink name (its offsets in PostgreSQL are kept under it)')
    .requiredOption('--topic <topic>', 'topic to read')
    .requiredOption('--url <url>', 'PostgreSQL connection string, e.g. postgres://user@localhost:5432/db')
    .requiredOption('--table <table>', 'target table (it must exist)')
    .requiredOption('--key <columns>', 'comma-separated key columns (the conflict target)')
    .requiredOption('--column <col=source[:action]>', 'a column and its source, repeatable (see below)', collect, [])
    .option('--until-end', 'stop at the end the topic has at start')
    .option('--max-bytes <n>', 'bytes per partition and transaction', positiveInt('--max-bytes'))
    .addHelpText(
      'after',
      '\nSources: a value field path (user.id), $key or $key.<field>, $offset, $partition, $timestamp, $topic.' +
        '\nActions on an existing row: set (default), add (total = total + x), keep.' +
        '\n\nExample:\n  tributary connect postgres-sink --name totals --topic payments --url postgres://localhost/shop \\' +
        '\n    --table totals --key user_id --column user_id=user --column total=amount:add',
    )
    .action(async (o: { name: string; topic: string; url: string; table: string; key: string; column: string[]; untilEnd?: boolean; maxBytes?: number }) => {
      // pg is loaded only by this subcommand.
      const { PostgresSink } = await import('../../connectors/postgres/index.js');
      await withConnectorLog(globals().dataDir, async (log, onStop) => {
        const sink = new PostgresSink({
          name: o.name,
          log,
          topic: o.topic,
          connection: o.url,
          mapping: { table: o.table, keyColumns: o.key.split(',').map((k) => k.trim()), columns: parseColumns(o.column) },
          maxBytesPerPartition: o.maxBytes,
        });
        onStop(() => sink.stop());
        await sink.run({ untilEnd: o.untilEnd === true });
        process.stderr.write(`postgres-sink ${o.name}: ${JSON.stringify(sink.stats)}\n`);
      });
    });

  connect
    .command('file-source')
    .description('read a JSON Lines or CSV file into a topic, exactly once (resumes from its stored position)')
    .requiredOption('--name <name>', 'the source name (its position is kept under it)')
    .requiredOption('--topic <topic>', 'topic to write (created when missing)')
    .requiredOption('--file <path>', 'the input file')
    .option('--format <format>', 'jsonl or csv (default: from the file name)')
    .option('--key-field <field>', 'a field whose text becomes the record key')
    .option('--partitions <n>', 'partitions when creating the topic', positiveInt('--partitions'), 1)
    .option('--delimiter <char>', 'CSV delimiter', ',')
    .option('--follow', 'keep reading as the file grows (like tail -f)')
    .option('--dead-letter [topic]', 'send bad lines to a dead-letter topic (default <topic>-dlq) instead of failing')
    .action(async (o: { name: string; topic: string; file: string; format?: string; keyField?: string; partitions: number; delimiter: string; follow?: boolean; deadLetter?: string | boolean }) => {
      await withConnectorLog(globals().dataDir, async (log, onStop) => {
        const source = new FileSource({
          name: o.name,
          log,
          topic: o.topic,
          path: o.file,
          format: formatOf(o.format, o.file),
          keyField: o.keyField,
          partitions: o.partitions,
          delimiter: o.delimiter,
          follow: o.follow === true,
          onBadLine: o.deadLetter ? 'dead-letter' : 'fail',
          deadLetterTopic: typeof o.deadLetter === 'string' ? o.deadLetter : undefined,
        });
        onStop(() => source.stop());
        const stats = await source.run();
        process.stderr.write(`file-source ${o.name}: ${JSON.stringify(stats)}\n`);
      });
    });

  connect
    .command('file-sink')
    .description('write a topic to a JSON Lines or CSV file, exactly once (optionally rotating)')
    .requiredOption('--name <name>', 'the sink name')
    .requiredOption('--topic <topic>', 'topic to read')
    .requiredOption('--file <path>', 'the output file (state in <file>.state.json)')
    .option('--format <format>', 'jsonl or csv (default: from the file name)')
    .option('--columns <list>', 'CSV: comma-separated fields to write')
    .option('--delimiter <char>', 'CSV delimiter', ',')
    .option('--rotate-bytes <n>', 'start a new file (<file>.1, .2, ...) above this size', positiveInt('--rotate-bytes'))
    .option('--until-end', 'stop at the end the topic has at start')
    .action(async (o: { name: string; topic: string; file: string; format?: string; columns?: string; delimiter: string; rotateBytes?: number; untilEnd?: boolean }) => {
      const format = formatOf(o.format, o.file);
      if (format === 'csv' && !o.columns) throw new UsageError('a CSV file sink needs --columns');
      await withConnectorLog(globals().dataDir, async (log, onStop) => {
        const sink = new FileSink({
          name: o.name,
          log,
          topic: o.topic,
          path: o.file,
          format,
          columns: o.columns?.split(',').map((c) => c.trim()),
          delimiter: o.delimiter,
          rotateBytes: o.rotateBytes,
        });
        onStop(() => sink.stop());
        const stats = await sink.run({ untilEnd: o.untilEnd === true });
        process.stderr.write(`file-sink ${o.name}: ${JSON.stringify(stats)}\n`);
      });
    });

  connect
    .command('http')
    .description('HTTP ingest (POST /topics/<topic>) and live output (GET /topics/<topic>/events as SSE, /topics/<topic>/ws)')
    .option('--port <n>', 'port to listen on (0: any free port)', nonNegativeInt('--port'), 8080)
    .option('--host <host>', 'address to listen on (other than loopback only with a token)', '127.0.0.1')
    .option('--token <token>', 'required on every request as Authorization: Bearer <token> or ?token= (default: $TRIBUTARY_HTTP_TOKEN)')
    .option('--key-field <field>', 'default key field of POSTed records (?key= overrides)')
    .option('--create-topics <partitions>', 'create unknown topics on first POST with this many partitions', positiveInt('--create-topics'))
    .option('--max-in-flight-bytes <n>', 'bytes of bodies in flight before 429', positiveInt('--max-in-flight-bytes'))
    .action(async (o: { port: number; host: string; token?: string; keyField?: string; createTopics?: number; maxInFlightBytes?: number }) => {
      await withConnectorLog(globals().dataDir, async (log, onStop) => {
        const server = new HttpConnector({
          log,
          port: o.port,
          host: o.host,
          token: o.token ?? process.env.TRIBUTARY_HTTP_TOKEN,
          keyField: o.keyField,
          createTopicPartitions: o.createTopics,
          maxInFlightBytes: o.maxInFlightBytes,
        });
        await server.start();
        process.stderr.write(`http connector listening on ${server.url}\n`);
        await new Promise<void>((resolve) => onStop(resolve));
        await server.close();
      });
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function formatOf(format: string | undefined, file: string): 'jsonl' | 'csv' {
  const f = format ?? (/\.csv$/i.test(file) ? 'csv' : /\.(jsonl|ndjson|json)$/i.test(file) ? 'jsonl' : undefined);
  if (f !== 'jsonl' && f !== 'csv') throw new UsageError(`--format must be jsonl or csv${format ? `, got ${format}` : ' (cannot tell from the file name)'}`);
  return f;
}

const SPECIAL = new Set(['$offset', '$partition', '$timestamp', '$topic']);

/** `col=source[:action]` options as the sink's column mapping. */
export function parseColumns(specs: readonly string[]): Record<string, ColumnSource> {
  if (specs.length === 0) throw new UsageError('give at least one --column');
  const out: Record<string, ColumnSource> = {};
  for (const spec of specs) {
    const m = /^([^=]+)=([^:]+)(?::(set|add|keep))?$/.exec(spec);
    if (!m) throw new UsageError(`--column ${spec}: use col=source[:set|add|keep]`);
    const [, col, source, action] = m as unknown as [string, string, string, ConflictAction | undefined];
    const onConflict = action ?? 'set';
    if (SPECIAL.has(source)) out[col] = { from: source.slice(1) as 'offset' | 'partition' | 'timestamp' | 'topic', onConflict };
    else if (source === '$key' || source.startsWith('$key.')) out[col] = { from: 'key', field: source.slice(5), onConflict };
    else out[col] = { from: 'value', field: source, onConflict };
  }
  return out;
}

/** Opens the embedded log, runs the connector, and turns SIGINT/SIGTERM into its graceful stop. */
async function withConnectorLog(dataDir: string, work: (log: Log, onStop: (stop: () => void) => void) => Promise<void>): Promise<void> {
  const log = await embedded({ dataDir, logOptions: { logger: stderrLogger } }).connect();
  const stops: Array<() => void> = [];
  const stop = (): void => {
    for (const s of stops) s();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await work(log, (s) => stops.push(s));
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await log.close();
  }
}
