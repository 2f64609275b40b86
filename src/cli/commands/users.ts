import { InvalidArgumentError, type Command } from 'commander';
import { CredentialStore, SASL_MECHANISMS, isSaslMechanism, type SaslMechanism } from '../../broker/security/index.js';
import type { GlobalOptions } from '../main.js';

function mechanisms(value: string, previous: SaslMechanism[] = []): SaslMechanism[] {
  const out = [...previous];
  for (const m of value.split(',')) {
    const name = m.trim().toUpperCase();
    if (!isSaslMechanism(name)) throw new InvalidArgumentError(`--mechanism must be one of ${SASL_MECHANISMS.join(', ')}, got '${m}'`);
    out.push(name);
  }
  return out;
}

export function registerUsers(program: Command, globals: () => GlobalOptions): void {
  const users = program
    .command('users')
    .description('manage the SASL users of a broker (salted hashes in <data-dir>/security/users.json, never passwords)');

  users
    .command('add')
    .description('add a user, or set a new password for one')
    .argument('<name>', 'user name (the principal is User:<name>)')
    .requiredOption('--password <password>', 'the password (only its salted PBKDF2/SCRAM hash is stored)')
    .option(
      '--mechanism <mechanism>',
      'SCRAM-SHA-256, SCRAM-SHA-512 or PLAIN (repeatable or comma-separated; default: SCRAM-SHA-256,SCRAM-SHA-512). Any stored hash also serves PLAIN',
      mechanisms,
    )
    .option('--iterations <n>', 'PBKDF2 iterations (at least 4096)', (v: string) => Number(v), 4096)
    .addHelpText(
      'after',
      '\nA running broker picks the change up at the next login.\n\nExamples:\n  tributary users add alice --password s3cret --data-dir ./data\n  tributary users add app --password s3cret --mechanism SCRAM-SHA-512',
    )
    .action(async (name: string, opts: { password: string; mechanism?: SaslMechanism[]; iterations: number }) => {
      const { dataDir, json } = globals();
      const store = new CredentialStore(dataDir);
      const existed = store.has(name);
      const chosen = opts.mechanism ?? ['SCRAM-SHA-256', 'SCRAM-SHA-512'];
      await store.add(name, opts.password, chosen, opts.iterations);
      process.stdout.write(json ? `${JSON.stringify({ name, mechanisms: chosen, updated: existed })}\n` : `${existed ? 'Updated' : 'Added'} user ${name} (${chosen.join(', ')}).\n`);
    });

  users
    .command('remove')
    .description('remove a user')
    .argument('<name>', 'user name')
    .addHelpText('after', '\nExample:\n  tributary users remove alice --data-dir ./data')
    .action((name: string) => {
      const { dataDir } = globals();
      new CredentialStore(dataDir).remove(name);
      process.stdout.write(`Removed user ${name}.\n`);
    });

  users
    .command('list')
    .description('list users and their mechanisms')
    .option('--json', 'print a JSON array of {"name","mechanisms"}')
    .addHelpText('after', '\nExample:\n  tributary users list --json --data-dir ./data')
    .action((opts: { json?: boolean }) => {
      const { dataDir, json } = globals();
      const list = new CredentialStore(dataDir).list();
      if (opts.json || json) process.stdout.write(`${JSON.stringify(list)}\n`);
      else for (const u of list) process.stdout.write(`${u.name}\t${u.mechanisms.join(',')}\n`);
    });
}
