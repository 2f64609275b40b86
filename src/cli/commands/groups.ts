import type { Command } from 'commander';
import { LogManager } from '../../log/log-manager.js';
import { silentLogger } from '../../log/logger.js';
import { CliError } from '../errors.js';
import { BOOTSTRAP_HELP, BOOTSTRAP_OPTION, withBroker } from '../bootstrap.js';
import { DataDirGroupSource } from '../groups/data-dir-source.js';
import type { GroupDescription, GroupSource } from '../groups/model.js';
import { formatTable } from '../table.js';
import type { GlobalOptions } from '../main.js';

interface GroupsOptions {
  bootstrap?: string;
}

/** The group does not exist (Kafka's GROUP_ID_NOT_FOUND). */
export class GroupNotFoundError extends CliError {
  constructor(group: string) {
    super('GROUP_ID_NOT_FOUND', `no consumer group '${group}' (no members, no committed offsets)`);
  }
}

/** Runs `work` against the broker (--bootstrap) or the data directory, and always releases it. */
async function withGroups<T>(dataDir: string, opts: GroupsOptions, work: (source: GroupSource) => Promise<T>): Promise<T> {
  if (opts.bootstrap !== undefined) {
    // Loaded here: its Kafka client library takes most of a second to import, which every other command would pay.
    const { BrokerGroupSource } = await import('../groups/broker-source.js');
    return withBroker(opts.bootstrap, (brokers) => new BrokerGroupSource(brokers), work);
  }
  const log = await LogManager.open({ dataDir, logger: silentLogger, retentionCheckIntervalMs: 0, cleanerIntervalMs: 0 });
  try {
    return await work(new DataDirGroupSource(log));
  } finally {
    await log.close();
  }
}

function describeText(g: GroupDescription): string {
  const members = g.members.length;
  let out =
    `Group ${g.group_id}: ${g.state}${g.protocol_type ? `, protocol ${g.protocol_type}${g.protocol ? `/${g.protocol}` : ''}` : ''}` +
    `${g.generation !== null ? `, generation ${g.generation}` : ''}, ${members} member(s), total lag ${g.total_lag}\n`;
  const byId = new Map(g.members.map((m) => [m.member_id, m]));
  if (g.offsets.length > 0) {
    out += formatTable(
      ['TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'],
      g.offsets.map((r) => {
        const m = r.member_id === null ? undefined : byId.get(r.member_id);
        return [r.topic, String(r.partition), String(r.committed_offset), r.log_end_offset === null ? '-' : String(r.log_end_offset), r.lag === null ? '-' : String(r.lag), m?.member_id ?? '-', m?.client_host ?? '-', m?.client_id ?? '-'];
      }),
    );
  }
  if (members > 0) {
    out += formatTable(
      ['CONSUMER-ID', 'GROUP-INSTANCE-ID', 'HOST', 'CLIENT-ID', 'ASSIGNMENT'],
      g.members.map((m) => [
        m.member_id,
        m.group_instance_id ?? '-',
        m.client_host,
        m.client_id,
        m.assignment.map((a) => `${a.topic}(${a.partitions.join(',')})`).join(' ') || '-',
      ]),
    );
  }
  return out;
}

export function registerGroups(program: Command, globals: () => GlobalOptions): void {
  const groups = program
    .command('groups')
    .description('list and describe consumer groups: members, assignments, committed offsets and lag')
    .addHelpText(
      'after',
      `${BOOTSTRAP_HELP}` +
        '\n\nExamples:\n  tributary groups list\n  tributary groups describe clicks\n  tributary groups describe --bootstrap 127.0.0.1:9092 --json',
    );

  groups
    .command('list')
    .description('list consumer groups with their state and member count')
    .option(...BOOTSTRAP_OPTION)
    .addHelpText(
      'after',
      '\nWith --json a JSON array: [{"group_id","state","protocol_type","members"}]' +
        '\nExit codes: 0 listed; 1 the data directory cannot be read; 3 the broker cannot be reached.' +
        '\n\nExamples:\n  tributary groups list\n  tributary groups list --bootstrap 127.0.0.1:9092 --json',
    )
    .action(async (opts: GroupsOptions) => {
      const { dataDir, json } = globals();
      const list = await withGroups(dataDir, opts, (s) => s.list());
      if (json) process.stdout.write(`${JSON.stringify(list)}\n`);
      else if (list.length > 0) {
        process.stdout.write(formatTable(['GROUP', 'STATE', 'PROTOCOL-TYPE', 'MEMBERS'], list.map((g) => [g.group_id, g.state, g.protocol_type || '-', String(g.members)])));
      }
    });

  groups
    .command('describe')
    .description('show a group (or every group): members and their assignments, committed offsets, log end offsets, lag')
    .argument('[group]', 'the group id (a Tributary app\'s group is its applicationId); default: every group')
    .option(...BOOTSTRAP_OPTION)
    .addHelpText(
      'after',
      '\nWith --json one object per group and line:' +
        '\n  {"group_id","state","protocol_type","protocol","generation","members":[{"member_id","group_instance_id",' +
        '\n   "client_id","client_host","assignment":[{"topic","partitions"}]}],' +
        '\n   "offsets":[{"topic","partition","committed_offset","log_end_offset","lag","member_id"}],"total_lag"}' +
        '\nLag is the log end offset minus the committed offset (transaction markers count, as in Kafka).' +
        '\nExit codes: 0 described; 1 no such group (GROUP_ID_NOT_FOUND) or the data directory cannot be read;' +
        '\n  3 the broker cannot be reached.' +
        '\n\nExamples:\n  tributary groups describe clicks\n  tributary groups describe --bootstrap 127.0.0.1:9092 --json',
    )
    .action(async (group: string | undefined, opts: GroupsOptions) => {
      const { dataDir, json } = globals();
      const described = await withGroups(dataDir, opts, async (s) => {
        if (group !== undefined) {
          const g = await s.describe(group);
          if (!g) throw new GroupNotFoundError(group);
          return [g];
        }
        const all: GroupDescription[] = [];
        for (const l of await s.list()) {
          const g = await s.describe(l.group_id);
          if (g) all.push(g);
        }
        return all;
      });
      process.stdout.write(json ? described.map((g) => `${JSON.stringify(g)}\n`).join('') : described.map(describeText).join('\n'));
    });
}
