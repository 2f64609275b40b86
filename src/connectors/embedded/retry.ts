import { TributaryError } from '../../records/errors.js';

/**
 * Retries an operation that failed with CONCURRENT_TRANSACTIONS (another operation on the same
 * transactional id is under way: a predecessor's commit, a timeout abort), as Kafka's producer does.
 */
export async function retryConcurrent<T>(op: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
    try {
      return await op();
    } catch (e) {
      if (!(e instanceof TributaryError && e.code === 'CONCURRENT_TRANSACTIONS') || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
