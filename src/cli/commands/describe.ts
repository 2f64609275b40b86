import type { Command } from 'commander';
import { embedded } from '../../connectors/embedded/index.js';
import type { RunContext } from '../../engine/app-module.js';
import { topologyJson } from '../describe/topology-json.js';
import { buildApp, loadAppModule } from '../run/load-app.js';
import type { GlobalOptions } from '../main.js';

/**
 * `tributary describe app.ts`: builds the application from the file (as `tributary run` would,
 * without starting it) and prints its topology: sub-topologies, operators, internal topics.
 */
export function registerDescribe(program: Command, globals: () => GlobalOptions): void {
  program
    .command('describe')
    .description('print the topology of an application file: sub-topologies, operators with their stores, internal topics')
    .argument('<file>', 'the application file, e.g. app.ts (the same contract as `tributary run`)')
    .argument('[args...]', 'arguments for the application after --, in ctx.args')
    .addHelpText(
      'after',
      '\nThe app is built (its default export is called) but not started; ctx.signal is already aborted.' +
        '\nThe text has the shape of Kafka Streams\' Topology#describe(). With --json one object:' +
        '\n  {"application_id","subtopologies":[{"id","nodes":[{"name","type","kind","topic"?,"stores","next","prev"}]}],' +
        '\n   "source_topics","output_topics","repartition_topics","changelog_topics","dead_letter_topic"}' +
        '\nExit codes: 0 printed; 2 no such file; 1 the file does not load or exports the wrong thing.' +
        '\n\nExamples:\n  tributary describe app.ts\n  tributary describe app.ts --json | jq .repartition_topics',
    )
    .action(async (file: string, args: string[]) => {
      const { dataDir, json } = globals();
      const loaded = await loadAppModule(file);
      const done = new AbortController();
      done.abort('describe');
      // The embedded connector opens the data directory only if the app connects while being built.
      const ctx: RunContext = { log: embedded({ dataDir }), dataDir, durationMs: undefined, signal: done.signal, args };
      const app = await buildApp(loaded, file, ctx);
      const topology = app.topology();
      process.stdout.write(json ? `${JSON.stringify(topologyJson(topology))}\n` : topology.describe());
    });
}
