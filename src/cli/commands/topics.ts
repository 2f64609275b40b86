import type { Command } from 'commander';
import type { TopicDescription } from '../../log/log-manager.js';
import { withLog } from '../log-session.js';
import { collectConfig, positiveInt } from '../options.js';
import type { GlobalOptions } from '../main.js';

function describeJson(t: TopicDescription) {
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

function describeText(t: TopicDescription): string {
  const overrides = Object.entries(t.overrides).map(([k, v]) => `${k}=${String(v)}`);
  const lines = [
    `Topic: ${t.name}\tTopicId: ${t.topicId}\tPartitionCount: ${t.partitions.length}\tConfigs: ${overrides.join(',')}`,
  ];
  for (const p of t.partitions) {
    lines.push(
      `\tPartition: ${p.partition}\tStartOffset: ${p.logStartOffset}\tEndOffset: ${p.logEndOffset}\t` +
        `Bytes: ${p.size}\tSegments: ${p.segments.length}`,
    );
  }
  return lines.join('\n');
}

export function registerTopics(program: Command, globals: () => GlobalOptions): void {
  const topics = program
    .command('topics')
    .description('create, list, describe and delete topics of the embedded log')
    .addHelpText('after', '\nExamples:\n  tributary topics create clicks --partitions 4\n  tributary topics list --json\n  tributary topics describe clicks');

  topics
    .command('create')
    .description('create a topic')
    .argument('<name>', 'topic name: letters, digits, ".", "_", "-"; at most 249 characters')
    .option('-p, --partitions <n>', 'number of partitions', positiveInt('--partitions'), 1)
    .option('-c, --config <key=value>', 'topic config, Kafka names (repeatable), e.g. cleanup.policy=compact', collectConfig)
    .addHelpText('after', '\nExamples:\n  tributary topics create clicks --partitions 4\n  tributary topics create users --config cleanup.policy=compact --config retention.ms=-1')
    .action(async (name: string, opts: { partitions: number; config?: Record<string, string> }) => {
      const { dataDir, json } = globals();
      const t = await withLog(dataDir, (log) => log.createTopic(name, { partitions: opts.partitions, config: opts.config ?? {} }));
      process.stdout.write(json ? `${JSON.stringify(describeJson(t))}\n` : `Created topic ${t.name} with ${t.partitions.length} partition(s).\n`);
    });

  topics
    .command('list')
    .description('list topics')
    .option('--json', 'print a JSON array of names')
    .addHelpText('after', '\nExamples:\n  tributary topics list\n  tributary topics list --json --data-dir ./data')
    .action(async (opts: { json?: boolean }) => {
      const { dataDir, json } = globals();
      const names = await withLog(dataDir, async (log) => log.listTopics().sort());
      if (opts.json || json) process.stdout.write(`${JSON.stringify(names)}\n`);
      else if (names.length) process.stdout.write(`${names.join('\n')}\n`);
    });

  topics
    .command('describe')
    .description('show a topic: partitions with start/end offsets and bytes, config overrides')
    .argument('<name>', 'topic name')
    .option('--json', 'print JSON: {name, topicId, partitions:[{partition, logStartOffset, logEndOffset, highWatermark, sizeBytes, segments}], config}')
    .addHelpText('after', '\nExamples:\n  tributary topics describe clicks\n  tributary topics describe clicks --json')
    .action(async (name: string, opts: { json?: boolean }) => {
      const { dataDir, json } = globals();
      const t = await withLog(dataDir, async (log) => log.describeTopic(name));
      process.stdout.write(opts.json || json ? `${JSON.stringify(describeJson(t))}\n` : `${describeText(t)}\n`);
    });

  topics
    .command('delete')
    .description('delete a topic and all its data')
    .argument('<name>', 'topic name')
    .addHelpText('after', '\nExamples:\n  tributary topics delete clicks')
    .action(async (name: string) => {
      const { dataDir } = globals();
      await withLog(dataDir, (log) => log.deleteTopic(name));
      process.stdout.write(`Deleted topic ${name}.\n`);
    });
}
