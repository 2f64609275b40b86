import { embedded } from '../../src/connectors/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { logContract } from './log-contract.js';

logContract((dir) => embedded({ dataDir: dir, logOptions: { logger: silentLogger, cleanerIntervalMs: 0 } }));
