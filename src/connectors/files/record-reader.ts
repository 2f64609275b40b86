import { checkDelimiter, countLines, csvRecordEnd, parseCsvRecord, LF } from './csv.js';
import { BadLineError } from './errors.js';

export type FileFormat = 'jsonl' | 'csv';

/** One record of the file, cut at its byte positions, parsed or with the reason it could not be. */
export interface FileEntry {
  /** Byte position of the record's first byte and just past its line break. */
  readonly start: number;
  readonly end: number;
  /** 1-based line where it starts. */
  readonly line: number;
  readonly raw: Buffer;
  /** The record as JSON (a JSON Lines value, or a CSV row as an object of strings by column). */
  readonly value: unknown;
  readonly error: BadLineError | null;
}

export interface ReaderOptions {
  readonly format: FileFormat;
  /** CSV: the delimiter (default ','). */
  readonly delimiter?: string;
  /** File name for error messages. */
  readonly source?: string;
}

/**
 * Cuts a chunk of a file into records and parses them. Works on bytes so that every record's
 * byte position is known: a source stores the position after the last record it wrote and
 * resumes there. Blank lines are skipped (but counted).
 */
export class RecordReader {
  /** CSV column names (from the header record or the options); null for JSON Lines. */
  columns: readonly string[] | null = null;
  private readonly delimiter: string;

  constructor(private readonly options: ReaderOptions) {
    this.delimiter = options.delimiter ?? ',';
    if (options.format === 'csv') checkDelimiter(this.delimiter);
  }

  /**
   * The complete records of `buf`, which holds the file from byte `base` (the start of a record)
   * on, the first on line `line`. With `final` (the end of a file that is not growing) a last
   * record without a line break counts too. Returns the entries and where the next read starts.
   */
  read(buf: Buffer, base: number, line: number, final: boolean): { entries: FileEntry[]; next: number; nextLine: number } {
    const entries: FileEntry[] = [];
    let at = 0;
    while (at < buf.length) {
      let end = this.options.format === 'csv' ? csvRecordEnd(buf, at, this.delimiter) : buf.indexOf(LF, at) + 1 || -1;
      if (end < 0) {
        if (!final) break;
        end = buf.length;
      }
      const raw = buf.subarray(at, end);
      const lines = countLines(buf, at, end);
      const entry = this.parse(raw, base + at, base + end, line);
      if (entry) entries.push(entry);
      line += lines;
      at = end;
    }
    return { entries, next: base + at, nextLine: line };
  }

  private parse(raw: Buffer, start: number, end: number, line: number): FileEntry | null {
    let text = raw.toString('utf8');
    if (text.endsWith('\n')) text = text.slice(0, -1);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.trim() === '') return null;
    const source = this.options.source ?? '';
    let value: unknown = null;
    let error: BadLineError | null = null;
    try {
      value = this.options.format === 'csv' ? this.csvValue(text, line, source) : jsonValue(text, line, source);
    } catch (e) {
      if (!(e instanceof BadLineError)) throw e;
      error = e;
    }
    return { start, end, line, raw, value, error };
  }

  private csvValue(text: string, line: number, source: string): unknown {
    const fields = parseCsvRecord(text, line, { delimiter: this.delimiter }, source);
    if (this.columns === null) {
      // The header record: column names.
      this.columns = fields;
      return HEADER;
    }
    if (fields.length !== this.columns.length) {
      throw new BadLineError(`${fields.length} fields where the header has ${this.columns.length}`, source, line, text);
    }
    const row: Record<string, string> = {};
    for (let i = 0; i < fields.length; i++) row[this.columns[i]!] = fields[i]!;
    return row;
  }
}

/** The value given to a CSV header record (not a record to produce). */
export const HEADER: unique symbol = Symbol('csv header');

function jsonValue(text: string, line: number, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new BadLineError(`not JSON: ${(e as Error).message}`, source, line, text);
  }
}
