import type { Command } from 'commander';
import type { LogManager, TopicDescription } from '../../log/log-manager.js';
import { BOOTSTRAP_HELP, BOOTSTRAP_OPTION, withBroker } from '../bootstrap.js';
import { withLog } from '../log-session.js';
import { collectConfig, positiveInt } from '../options.js';
import type { BrokerTopicSource } from '../topics/broker-source.js';
import type { TopicView } from '../topics/model.js';
import type { GlobalOptions } from '../main.js';

interface SourceOptions {
  bootstrap?: string;
}

function viewOf(t: TopicDescription): TopicView {
  return {
    name: t.name,
    topicId: t.topicId,
    partitions: t.partitions.map((p) => ({
      partition: p.partition,
      logStartOffset: p.logStartOffset,
      logEndOffset: p.logEndOffset,
      highWatermark: p.highWatermark,
      sizeBytes: p.size,
      segments: p.segments.length,
    })),
    config: t.overrides,
  };
}

function describeText(t: TopicView): string {
  const overrides = Object.entries(t.config).map(([k, v]) => `${k}=${String(v)}`);
  const lines = [
    `Topic: ${t.name}\tTopicId: ${t.topicId}\tPartitionCount: ${t.partitions.length}\tConfigs: ${overrides.join(',')}`,
  ];
  for (const p of t.partitions) {
    lines.push(
      `\tPartition: ${p.partition}\tStartOffset: ${p.logStartOffset}\tEndOffset: ${p.logEndOffset}` +
        (p.sizeBytes === null ? '' : `\tBytes: ${p.sizeBytes}\tSegments: ${p.segments}`),
    );
  }
  return lines.join('\n');
}

/**
 * Runs one topics command on a running broker (--bootstrap: Kafka's protocol, `tributary broker`
 * or Apache Kafka) or on the data directory's log (which no other process may have open).
 */
async function onTopics<T>(
  dataDir: string,
  opts: SourceOptions,
  overBroker: (source: BrokerTopicSource) => Promise<T>,
  inDataDir: (log: LogManager) => Promise<T>,
): Promise<T> {
  if (opts.bootstrap === undefined) return withLog(dataDir, inDataDir);
  // Loaded here: its Kafka client library takes most of a second to import, which the data-directory path would pay.
  const { BrokerTopicSource } = await import('../topics/broker-source.js');
  return withBroker(opts.bootstrap, (brokers) => new BrokerTopicSource(brokers), overBroker);
}

export function registerTopics(program: Command, globals: () => GlobalOptions): void {
  const topics = program
    .command('topics')
    .description('create, list, describe and delete topics of the embedded log, or of a running broker (--bootstrap)')
    .addHelpText('after', '\nExamples:\n  tributary topics create clicks --partitions 4\n  tributary topics list --json\n  tributary topics describe clicks');

  topics
    .command('create')
    .description('create a topic')
    .argument('<name>', 'topic name: letters, digits, ".", "_", "-"; at most 249 characters')
    .option('-p, --partitions <n>', 'number of partitions', positiveInt('--partitions'), 1)
    .option('-c, --config <key=value>', 'topic config, Kafka names (repeatable), e.g. cleanup.policy=compact', collectConfig)
    .option(...BOOTSTRAP_OPTION)
    .addHelpText('after', `${BOOTSTRAP_HELP}\n\nExamples:\n  tributary topics create clicks --partitions 4\n  tributary topics create users --config cleanup.policy=compact --config retention.ms=-1\n  tributary topics create clicks --partitions 12 --bootstrap 127.0.0.1:9092`)
    .action(async (name: string, opts: SourceOptions & { partitions: number; config?: Record<string, string> }) => {
      const { dataDir, json } = globals();
      const config = opts.config ?? {};
      const t = await onTopics(
        dataDir,
        opts,
        (broker) => broker.create(name, opts.partitions, config),
        async (log) => viewOf(await log.createTopic(name, { partitions: opts.partitions, config })),
      );
      process.stdout.write(json ? `${JSON.stringify(t)}\n` : `Created topic ${t.name} with ${t.partitions.length} partition(s).\n`);
    });

  topics
    .command('list')
    .description('list topics')
    .option('--json', 'print a JSON array of names')
    .option(...BOOTSTRAP_OPTION)
    .addHelpText('after', `${BOOTSTRAP_HELP}\n\nExamples:\n  tributary topics list\n  tributary topics list --json --data-dir ./data\n  tributary topics list --bootstrap 127.0.0.1:9092`)
    .action(async (opts: SourceOptions & { json?: boolean }) => {
      const { dataDir, json } = globals();
      const names = await onTopics(dataDir, opts, (broker) => broker.list(), async (log) => log.listTopics().sort());
      if (opts.json || json) process.stdout.write(`${JSON.stringify(names)}\n`);
      else if (names.length) process.stdout.write(`${names.join('\n')}\n`);
    });

  topics
    .command('describe')
    .description('show a topic: partitions with start/end offsets and bytes, config overrides')
    .argument('<name>', 'topic name')
    .option('--json', 'print JSON: {name, topicId, partitions:[{partition, logStartOffset, logEndOffset, highWatermark, sizeBytes, segments}], config} (sizeBytes, segments: null with --bootstrap)')
    .option(...BOOTSTRAP_OPTION)
    .addHelpText('after', `${BOOTSTRAP_HELP}\n\nExamples:\n  tributary topics describe clicks\n  tributary topics describe clicks --json\n  tributary topics describe clicks --bootstrap 127.0.0.1:9092`)
    .action(async (name: string, opts: SourceOptions & { json?: boolean }) => {
      const { dataDir, json } = globals();
      const t = await onTopics(dataDir, opts, (broker) => broker.describe(name), async (log) => viewOf(log.describeTopic(name)));
      process.stdout.write(opts.json || json ? `${JSON.stringify(t)}\n` : `${describeText(t)}\n`);
    });

  topics
    .command('delete')
    .description('delete a topic and all its data')
    .argument('<name>', 'topic name')
    .option(...BOOTSTRAP_OPTION)
    .addHelpText('after', `${BOOTSTRAP_HELP}\n\nExamples:\n  tributary topics delete clicks\n  tributary topics delete clicks --bootstrap 127.0.0.1:9092`)
    .action(async (name: string, opts: SourceOptions) => {
      const { dataDir } = globals();
      await onTopics(dataDir, opts, (broker) => broker.delete(name), async (log) => log.deleteTopic(name));
      process.stdout.write(`Deleted topic ${name}.\n`);
    });
}
