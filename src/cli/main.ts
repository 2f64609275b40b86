import { Command, CommanderError } from 'commander';
import { reportError } from './errors.js';
import { EXIT_CODES_HELP, EXIT_OK, EXIT_USAGE } from './exit-codes.js';
import { DEFAULT_DATA_DIR } from './options.js';
import { registerBroker } from './commands/broker.js';
import { registerConsume } from './commands/consume.js';
import { registerConnect } from './commands/connect.js';
import { registerDemo } from './commands/demo.js';
import { registerProduce } from './commands/produce.js';
import { registerTopics } from './commands/topics.js';
import { registerUsers } from './commands/users.js';
import { registerAcls } from './commands/acls.js';
import { registerRun } from './commands/run.js';
import { registerDescribe } from './commands/describe.js';
import { registerGroups } from './commands/groups.js';
import { registerBench } from './commands/bench.js';

export interface GlobalOptions {
  dataDir: string;
  json: boolean;
}

export function buildProgram(): Command {
  const program = new Command('tributary');
  program
    .description('Stream processing for TypeScript on Node.js, with an embedded Kafka-compatible log')
    .option('-d, --data-dir <dir>', 'data directory of the embedded log', process.env.TRIBUTARY_DATA_DIR ?? DEFAULT_DATA_DIR)
    .option('--json', 'machine-readable output where a command has it')
    .addHelpText('after', EXIT_CODES_HELP)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const globals = (): GlobalOptions => {
    const o = program.opts<{ dataDir: string; json?: boolean }>();
    return { dataDir: o.dataDir, json: o.json === true };
  };
  registerTopics(program, globals);
  registerProduce(program, globals);
  registerConsume(program, globals);
  registerConnect(program, globals);
  registerBroker(program, globals);
  registerDemo(program, globals);
  registerUsers(program, globals);
  registerAcls(program, globals);
  registerRun(program, globals);
  registerDescribe(program, globals);
  registerGroups(program, globals);
  registerBench(program, globals);
  for (const c of program.commands) {
    c.exitOverride();
    for (const sub of c.commands) sub.exitOverride();
  }
  return program;
}

/** Runs the CLI and returns the process exit code; never throws. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    // A command that ended in a state of its own (interrupted, terminated) set process.exitCode.
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are "errors" to commander; they already printed what they had to.
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT_OK;
      return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    return reportError(e);
  }
}
