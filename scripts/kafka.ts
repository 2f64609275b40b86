// npm run kafka -- up [--brokers 1|3] [--json] | down | status [--json]
//
// A real Apache Kafka cluster (KRaft) on 127.0.0.1 for development and integration tests. The
// work is done in scripts/kafka/cluster.ts; this file parses arguments and prints.
// stdout carries only the result (the bootstrap servers, or JSON with --json); progress goes to
// stderr. Exit codes: 0 ok, 1 failure (or `status`: not up), 2 usage, 3 java/mvn missing,
// 4 a port is taken.
import {
  DEFAULT_BROKER_PORT,
  DEFAULT_CONTROLLER_PORT,
  EXIT_FAILURE,
  KafkaScriptError,
  down,
  status,
  up,
  type KafkaClusterOptions,
} from './kafka/cluster.js';

const USAGE = `usage: npm run kafka -- <command> [options]

commands:
  up       start a KRaft cluster on 127.0.0.1 (fetches Apache Kafka from Maven Central once);
           prints the bootstrap servers. A no-op when it is already up.
  down     stop the nodes that 'up' started and remove their data
  status   say which nodes are up (exit 0 when all are)

options:
  --brokers N            1 or 3 combined broker+controller nodes (up; default 1)
  --json                 print JSON on stdout (up, down, status)
  --port P               first broker port (default ${DEFAULT_BROKER_PORT}; env TRIBUTARY_KAFKA_PORT)
  --controller-port P    first controller port (default ${DEFAULT_CONTROLLER_PORT}; env TRIBUTARY_KAFKA_CONTROLLER_PORT)
  --run-dir DIR          configs, data and logs (default <repo>/.kafka; env TRIBUTARY_KAFKA_RUN_DIR)
  --timeout S            seconds 'up' waits for the brokers (default 180)

env: TRIBUTARY_KAFKA_VERSION (default 4.4.0), TRIBUTARY_KAFKA_CACHE (jar cache root, default
~/.cache/tributary), TRIBUTARY_KAFKA_HEAP (JVM -Xmx per node, default 512m), JAVA_HOME.`;

class UsageError extends Error {}

function parse(argv: string[]): { cmd: string; json: boolean; opts: KafkaClusterOptions } {
  const [cmd, ...rest] = argv;
  const opts: KafkaClusterOptions = {};
  let json = false;
  const intArg = (name: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n <= 0) throw new UsageError(`${name} needs a positive integer`);
    return n;
  };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string | undefined => inline ?? rest[++i];
    switch (flag) {
      case '--json':
        json = true;
        break;
      case '--brokers': {
        const n = intArg('--brokers', value());
        if (n !== 1 && n !== 3) throw new UsageError('--brokers must be 1 or 3');
        opts.brokers = n;
        break;
      }
      case '--port':
        opts.brokerPort = intArg('--port', value());
        break;
      case '--controller-port':
        opts.controllerPort = intArg('--controller-port', value());
        break;
      case '--run-dir': {
        const v = value();
        if (!v) throw new UsageError('--run-dir needs a directory');
        opts.runDir = v;
        break;
      }
      case '--timeout':
        opts.timeoutMs = intArg('--timeout', value()) * 1000;
        break;
      default:
        throw new UsageError(`unknown option ${a}`);
    }
  }
  return { cmd: cmd ?? 'help', json, opts };
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parse(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`kafka: ${(e as Error).message} (see \`npm run kafka -- help\`)\n`);
    return 2;
  }
  const { cmd, json, opts } = parsed;
  switch (cmd) {
    case 'up': {
      const info = await up(opts);
      if (json) {
        process.stdout.write(
          `${JSON.stringify({ bootstrap: info.bootstrap, brokers: info.brokers, clusterId: info.clusterId, version: info.version, runDir: info.runDir })}\n`,
        );
      } else {
        process.stdout.write(`${info.bootstrap}\n`);
      }
      return 0;
    }
    case 'down': {
      const r = await down(opts);
      if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
      else {
        const parts = [];
        if (r.stopped.length) parts.push(`stopped node(s) ${r.stopped.join(', ')}`);
        if (r.killed.length) parts.push(`killed node(s) ${r.killed.join(', ')} after the SIGTERM grace period`);
        if (!r.stopped.length && !r.killed.length) parts.push('no node was running');
        process.stdout.write(`${parts.join('; ')}\n`);
      }
      return 0;
    }
    case 'status': {
      const s = await status(opts);
      if (json) process.stdout.write(`${JSON.stringify(s)}\n`);
      else if (s.brokers.length === 0) process.stdout.write(`no cluster in ${s.runDir}\n`);
      else {
        process.stdout.write(
          `Kafka ${s.version} (${s.brokers.length} node${s.brokers.length > 1 ? 's' : ''}) in ${s.runDir}: ${s.up ? 'up' : 'not up'}\n`,
        );
        for (const b of s.brokers) {
          const extra = b.state === 'down' ? '' : ` pid ${b.pid}${b.rssMb !== undefined ? ` rss ${b.rssMb} MB` : ''}`;
          process.stdout.write(`  node ${b.id}  ${b.host}:${b.port} (controller ${b.controllerPort})  ${b.state}${extra}\n`);
        }
      }
      return s.up ? 0 : 1;
    }
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return 0;
    default:
      process.stderr.write(`kafka: unknown command ${cmd} (see \`npm run kafka -- help\`)\n`);
      return 2;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof KafkaScriptError) {
      process.stderr.write(`kafka: ${e.message}\n`);
      process.exitCode = e.exitCode;
    } else {
      process.stderr.write(`kafka: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = EXIT_FAILURE;
    }
  },
);
