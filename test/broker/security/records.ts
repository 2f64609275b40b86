import { encodeRecordBatch } from '../../../src/records/index.js';

/** A RecordBatch v2 of unkeyed values (what a producer sends). */
export function batchOf(values: readonly (string | Buffer)[]): Buffer {
  return encodeRecordBatch({ records: values.map((v) => ({ value: typeof v === 'string' ? Buffer.from(v) : v })) });
}
