import { InvalidArgumentError, type Command } from 'commander';
import {
  AclOperation,
  AclStore,
  CLUSTER_RESOURCE_NAME,
  MATCH_ALL,
  formatBinding,
  type AclBinding,
  type AclFilter,
  type OperationName,
  type ResourceTypeName,
} from '../../broker/security/index.js';
import { UsageError } from '../errors.js';
import type { GlobalOptions } from '../main.js';

interface AclCommandOptions {
  allow?: boolean;
  deny?: boolean;
  principal?: string[];
  host?: string;
  operation?: OperationName[];
  topic?: string;
  group?: string;
  transactionalId?: string;
  cluster?: boolean;
  prefixed?: boolean;
  json?: boolean;
}

const OPERATIONS = Object.keys(AclOperation).filter((k) => k !== 'ANY' && k !== 'UNKNOWN');

function operations(value: string, previous: OperationName[] = []): OperationName[] {
  const out = [...previous];
  for (const o of value.split(',')) {
    const name = o.trim().toUpperCase().replaceAll('-', '_');
    if (!OPERATIONS.includes(name)) throw new InvalidArgumentError(`--operation must be one of ${OPERATIONS.join(', ')}, got '${o}'`);
    out.push(name as OperationName);
  }
  return out;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** The resource named by --topic/--group/--transactional-id/--cluster, or null when none is. */
function resourceOf(o: AclCommandOptions): { type: ResourceTypeName; name: string } | null {
  const given: { type: ResourceTypeName; name: string }[] = [];
  if (o.topic !== undefined) given.push({ type: 'TOPIC', name: o.topic });
  if (o.group !== undefined) given.push({ type: 'GROUP', name: o.group });
  if (o.transactionalId !== undefined) given.push({ type: 'TRANSACTIONAL_ID', name: o.transactionalId });
  if (o.cluster === true) given.push({ type: 'CLUSTER', name: CLUSTER_RESOURCE_NAME });
  if (given.length > 1) throw new UsageError('give one of --topic, --group, --transactional-id, --cluster');
  return given[0] ?? null;
}

function permissionOf(o: AclCommandOptions): 'ALLOW' | 'DENY' | null {
  if (o.allow && o.deny) throw new UsageError('give --allow or --deny, not both');
  return o.allow ? 'ALLOW' : o.deny ? 'DENY' : null;
}

function withResourceOptions(c: Command): Command {
  return c
    .option('--principal <principal>', 'Kafka principal, e.g. User:alice or User:* (repeatable)', collect)
    .option('--host <host>', "client address the ACL applies to ('*': any)")
    .option('--operation <op>', `${OPERATIONS.join(', ')} (repeatable or comma-separated)`, operations)
    .option('--topic <name>', "a topic ('*': every topic)")
    .option('--group <name>', 'a consumer group')
    .option('--transactional-id <id>', 'a transactional id')
    .option('--cluster', 'the cluster (topic creation, idempotent writes, ACL management)')
    .option('--prefixed', 'the name is a prefix: the ACL covers every resource whose name starts with it')
    .option('--allow', 'an ALLOW entry')
    .option('--deny', 'a DENY entry (wins over any ALLOW)');
}

function filterOf(o: AclCommandOptions, principal: string | null, operation: OperationName | null): AclFilter {
  const r = resourceOf(o);
  return {
    ...MATCH_ALL,
    resourceType: r?.type ?? 'ANY',
    resourceName: r?.name ?? null,
    patternType: r === null ? 'ANY' : o.prefixed ? 'PREFIXED' : 'LITERAL',
    principal,
    host: o.host ?? null,
    operation: operation ?? 'ANY',
    permission: permissionOf(o) ?? 'ANY',
  };
}

function filtersOf(o: AclCommandOptions): AclFilter[] {
  const out: AclFilter[] = [];
  for (const p of o.principal ?? [null]) for (const op of o.operation ?? [null]) out.push(filterOf(o, p, op));
  return out;
}

export function registerAcls(program: Command, globals: () => GlobalOptions): void {
  const acls = program
    .command('acls')
    .description('manage the ACLs a broker started with --acls enforces (<data-dir>/security/acls.json; deny by default)');

  withResourceOptions(acls.command('add').description('add ACL entries: each --principal x each --operation on one resource'))
    .addHelpText(
      'after',
      '\nA running broker picks the change up within a second.\n\nExamples:\n' +
        '  tributary acls add --allow --principal User:alice --operation WRITE,DESCRIBE --topic orders\n' +
        '  tributary acls add --allow --principal User:app --operation READ --topic app- --prefixed\n' +
        '  tributary acls add --allow --principal User:app --operation READ --group app-consumers\n' +
        '  tributary acls add --deny --principal User:mallory --operation ALL --topic "*"',
    )
    .action((o: AclCommandOptions) => {
      const { dataDir, json } = globals();
      const r = resourceOf(o);
      const permission = permissionOf(o);
      if (r === null) throw new UsageError('acls add needs one of --topic, --group, --transactional-id, --cluster');
      if (permission === null) throw new UsageError('acls add needs --allow or --deny');
      if (o.principal === undefined) throw new UsageError('acls add needs --principal');
      if (o.operation === undefined) throw new UsageError('acls add needs --operation');
      const bindings: AclBinding[] = [];
      for (const principal of o.principal) {
        for (const operation of o.operation) {
          bindings.push({ resourceType: r.type, resourceName: r.name, patternType: o.prefixed ? 'PREFIXED' : 'LITERAL', principal, host: o.host ?? '*', operation, permission });
        }
      }
      const added = new AclStore(dataDir).add(bindings);
      if (json) process.stdout.write(`${JSON.stringify({ added, acls: bindings })}\n`);
      else for (const b of bindings) process.stdout.write(`Added ${formatBinding(b)}\n`);
      if (!json && added < bindings.length) process.stdout.write(`(${bindings.length - added} already present)\n`);
    });

  withResourceOptions(acls.command('remove').description('remove the ACL entries matching the options (an option left out matches anything)'))
    .option('--all', 'allow removing every ACL when no option narrows the match')
    .addHelpText('after', '\nExamples:\n  tributary acls remove --principal User:alice --topic orders\n  tributary acls remove --all')
    .action((o: AclCommandOptions & { all?: boolean }) => {
      const { dataDir, json } = globals();
      const filters = filtersOf(o);
      const narrowed = o.principal !== undefined || o.operation !== undefined || resourceOf(o) !== null || o.host !== undefined || permissionOf(o) !== null;
      if (!narrowed && o.all !== true) throw new UsageError('acls remove without a filter removes everything: add --all to mean it');
      const removed = new AclStore(dataDir).remove(filters).flat();
      if (json) process.stdout.write(`${JSON.stringify({ removed })}\n`);
      else {
        for (const b of removed) process.stdout.write(`Removed ${formatBinding(b)}\n`);
        if (removed.length === 0) process.stdout.write('No ACL matched.\n');
      }
    });

  withResourceOptions(acls.command('list').description('list ACL entries (options narrow the list)'))
    .option('--json', 'print a JSON array of bindings')
    .addHelpText('after', '\nExamples:\n  tributary acls list\n  tributary acls list --principal User:alice --json')
    .action((o: AclCommandOptions) => {
      const { dataDir, json } = globals();
      const store = new AclStore(dataDir);
      const seen = new Set<AclBinding>();
      const list: AclBinding[] = [];
      for (const f of filtersOf(o)) for (const b of store.list(f)) if (!seen.has(b)) (seen.add(b), list.push(b));
      if (o.json || json) process.stdout.write(`${JSON.stringify(list)}\n`);
      else for (const b of list) process.stdout.write(`${formatBinding(b)}\n`);
    });
}
