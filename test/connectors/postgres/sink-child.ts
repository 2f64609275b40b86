// A PostgreSQL sink in its own process, for the crash tests in postgres-sink.test.ts:
//   node --import tsx sink-child.ts <dataDir> <pgUrl> [<crash-at-transaction> <before|after>]
// With a crash point it SIGKILLs itself there: before COMMIT (rows and offsets written but not
// committed) or right after it (committed, nothing else done). Without one it runs to the end.
import { embedded } from '../../../src/connectors/index.js';
import { PostgresSink } from '../../../src/connectors/postgres/index.js';
import { silentLogger } from '../../../src/log/logger.js';
import { TOTALS_MAPPING } from './fixtures.js';

const [dataDir, url, crashAt, phase] = process.argv.slice(2);
const crash = crashAt === undefined ? -1 : Number(crashAt);
const log = await embedded({ dataDir: dataDir!, logOptions: { logger: silentLogger, cleanerIntervalMs: 0 } }).connect();
const die = (): void => void process.kill(process.pid, 'SIGKILL');
const sink = new PostgresSink({
  name: 'totals',
  log,
  topic: 'payments',
  connection: url!,
  mapping: TOTALS_MAPPING,
  maxBytesPerPartition: 2048,
  warn: () => {},
  beforeCommit: (i) => {
    if (phase === 'before' && i.transaction === crash) die();
  },
  onCommit: (i) => {
    if (phase === 'after' && i.transaction === crash) die();
  },
});
await sink.run({ untilEnd: true });
await log.close();
process.stdout.write(JSON.stringify(sink.stats) + '\n');
