import { fileURLToPath } from 'node:url';

/**
 * The project's shared inputs (Kafka message specs, captured frames) live beside the repository in
 * `../shared`, on developer machines and in CI alike.
 */
export const SHARED_DIR = process.env.TRIBUTARY_SHARED_DIR ?? fileURLToPath(new URL('../../../shared', import.meta.url));
