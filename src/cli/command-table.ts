import type { Command } from 'commander';
import type { GlobalOptions } from './main.js';

export type RegisterCommand = (program: Command, globals: () => GlobalOptions) => void;

/**
 * The commands of the CLI, in the order `tributary --help` lists them. Each command's module (and
 * what it imports: the engine, the broker, the log) is loaded only when that command runs or shows
 * its own help; `tributary --help` lists them from `term` and `description` alone, which must be
 * what the command declares (test/cli/lazy-commands.test.ts compares both listings).
 */
export interface CommandEntry {
  readonly name: string;
  /** How the listing shows the command: its name, `[options]` when it has options, its arguments. */
  readonly term: string;
  readonly description: string;
  readonly load: () => Promise<RegisterCommand>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'topics',
    term: 'topics',
    description: 'create, list, describe and delete topics of the embedded log, or of a running broker (--bootstrap)',
    load: async () => (await import('./commands/topics.js')).registerTopics,
  },
  {
    name: 'produce',
    term: 'produce [options] <topic>',
    description: 'append one record per line of standard input to a topic',
    load: async () => (await import('./commands/produce.js')).registerProduce,
  },
  {
    name: 'consume',
    term: 'consume [options] <topic>',
    description: 'print the records of a topic, one per line, then exit at the end of the log',
    load: async () => (await import('./commands/consume.js')).registerConsume,
  },
  {
    name: 'connect',
    term: 'connect',
    description: 'run a connector: postgres-sink, file-source, file-sink, http (see docs/connectors.md)',
    load: async () => (await import('./commands/connect.js')).registerConnect,
  },
  {
    name: 'broker',
    term: 'broker [options]',
    description: 'serve the embedded log over the Kafka protocol: any Kafka client can produce and consume',
    load: async () => (await import('./commands/broker.js')).registerBroker,
  },
  {
    name: 'demo',
    term: 'demo [options]',
    description: 'run a live clickstream analytics demo on the embedded log (page views, trending pages, sessions, alerts)',
    load: async () => (await import('./commands/demo.js')).registerDemo,
  },
  {
    name: 'users',
    term: 'users',
    description: 'manage the SASL users of a broker (salted hashes in <data-dir>/security/users.json, never passwords)',
    load: async () => (await import('./commands/users.js')).registerUsers,
  },
  {
    name: 'acls',
    term: 'acls',
    description: 'manage the ACLs a broker started with --acls enforces (<data-dir>/security/acls.json; deny by default)',
    load: async () => (await import('./commands/acls.js')).registerAcls,
  },
  {
    name: 'run',
    term: 'run [options] <file> [args...]',
    description: 'run a TypeScript application file (default export: ctx => StreamsApp; optional generate(ctx)) until --duration or Ctrl-C',
    load: async () => (await import('./commands/run.js')).registerRun,
  },
  {
    name: 'describe',
    term: 'describe <file> [args...]',
    description: 'print the topology of an application file: sub-topologies, operators with their stores, internal topics',
    load: async () => (await import('./commands/describe.js')).registerDescribe,
  },
  {
    name: 'groups',
    term: 'groups',
    description: 'list and describe consumer groups: members, assignments, committed offsets and lag',
    load: async () => (await import('./commands/groups.js')).registerGroups,
  },
  {
    name: 'bench',
    term: 'bench',
    description: 'benchmarks',
    load: async () => (await import('./commands/bench.js')).registerBench,
  },
  {
    name: 'plan',
    term: 'plan [options]',
    description: 'estimate cores, memory, partitions and p99 latency of a windowed aggregation from the measured performance model',
    load: async () => (await import('./commands/plan.js')).registerPlan,
  },
];

/**
 * The command an argument list runs (or asks help for: `help <command>`), skipping the global
 * options and the value of --data-dir; undefined when none is named.
 */
export function requestedCommand(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return argv[i + 1];
    if (a === '-d' || a === '--data-dir') {
      i++;
      continue;
    }
    if (a.startsWith('-')) continue;
    return a === 'help' && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('-') ? argv[i + 1] : a;
  }
  return undefined;
}
