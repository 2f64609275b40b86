import { BadRequestBodyError } from './errors.js';

/** Content types the ingest endpoint reads: one JSON value or an array of them, or JSON Lines. */
export type BodyFormat = 'json' | 'jsonl';

export function bodyFormat(contentType: string | undefined): BodyFormat | null {
  const type = (contentType ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json' || type === 'text/json') return 'json';
  if (type === 'application/x-ndjson' || type === 'application/jsonl' || type === 'application/json-lines' || type === 'application/x-jsonlines') return 'jsonl';
  return null;
}

/**
 * The records of a request body: a JSON object (one record), a JSON array (one record per
 * element) or JSON Lines (one per non-blank line). Each record's value is a JSON value other
 * than null (a null value is a tombstone, which ingest does not write).
 */
export function parseBody(body: Buffer, format: BodyFormat): unknown[] {
  const text = body.toString('utf8');
  if (format === 'jsonl') {
    const out: unknown[] = [];
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line === '') continue;
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch (e) {
        throw new BadRequestBodyError(`line ${i + 1} is not JSON: ${(e as Error).message}`, { line: i + 1 });
      }
      if (v === null) throw new BadRequestBodyError(`line ${i + 1}: a record cannot be null`, { line: i + 1 });
      out.push(v);
    }
    if (out.length === 0) throw new BadRequestBodyError('the body holds no records');
    return out;
  }
  if (text.trim() === '') throw new BadRequestBodyError('the body is empty');
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new BadRequestBodyError(`the body is not JSON: ${(e as Error).message}`);
  }
  const records = Array.isArray(v) ? v : [v];
  if (records.length === 0) throw new BadRequestBodyError('the array holds no records');
  const nullAt = records.indexOf(null);
  if (nullAt >= 0) throw new BadRequestBodyError(`record ${nullAt} is null`, { index: nullAt });
  return records;
}
