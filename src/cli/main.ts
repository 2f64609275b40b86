import { Command, CommanderError, Help } from 'commander';
import { reportError } from './errors.js';
import { EXIT_CODES_HELP, EXIT_OK, EXIT_USAGE } from './exit-codes.js';
import { DEFAULT_DATA_DIR } from './options.js';
import { COMMANDS, requestedCommand } from './command-table.js';

export interface GlobalOptions {
  dataDir: string;
  json: boolean;
}

/**
 * The program for an argument list: the command it names is loaded (its module imported and its
 * options declared); the others are listed by name and description only, so `tributary --help`
 * and every command start without importing what other commands need (the engine, the broker).
 * `'all'` loads every command (tests compare the two listings).
 */
export async function buildProgram(argv: readonly string[] | 'all'): Promise<Command> {
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
  const wanted = argv === 'all' ? undefined : requestedCommand(argv);
  const listed = new Map<Command, string>();
  for (const entry of COMMANDS) {
    if (argv === 'all' || entry.name === wanted) (await entry.load())(program, globals);
    else listed.set(program.command(entry.name).description(entry.description), entry.term);
  }
  const help = new Help();
  program.configureHelp({ subcommandTerm: (c) => listed.get(c) ?? help.subcommandTerm(c) });
  for (const c of program.commands) {
    c.exitOverride();
    for (const sub of c.commands) sub.exitOverride();
  }
  return program;
}

/** Runs the CLI and returns the process exit code; never throws. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    const program = await buildProgram(argv);
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
