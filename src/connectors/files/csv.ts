import { BadLineError } from './errors.js';

/**
 * CSV as RFC 4180 writes it, plus what spreadsheets produce: fields separated by a delimiter
 * (default `,`), records by LF or CRLF; a field in double quotes may hold delimiters, quotes
 * (doubled: `""`) and line breaks. Strict about what cannot be read unambiguously: a quote
 * inside an unquoted field, text after a closing quote, a quoted field never closed — each is a
 * BadLineError naming the line where the record starts.
 */
export interface CsvOptions {
  /** One character. Default ','. */
  readonly delimiter?: string;
}

const QUOTE = 0x22;
const LF = 0x0a;

/**
 * Where the record starting at `from` ends in `buf`: the index just past its line break, or -1
 * when the buffer ends first (inside a quoted field or before a line break). Scans bytes: the
 * quote, LF and an ASCII delimiter never occur inside a UTF-8 multi-byte character, so no
 * decoding is needed to cut. A quote only opens a quoted field at the start of a field, so a
 * stray quote in an unquoted field ends its record at the line break (and parseCsvRecord
 * reports it) instead of swallowing the lines after it.
 */
export function csvRecordEnd(buf: Buffer, from: number, delimiter = ','): number {
  const delim = delimiter.charCodeAt(0);
  let state = FIELD_START;
  for (let i = from; i < buf.length; i++) {
    const b = buf[i]!;
    switch (state) {
      case QUOTED:
        if (b === QUOTE) state = QUOTE_IN_QUOTED;
        break;
      case QUOTE_IN_QUOTED:
        if (b === QUOTE) state = QUOTED;
        else if (b === delim) state = FIELD_START;
        else if (b === LF) return i + 1;
        else state = UNQUOTED;
        break;
      default:
        if (b === LF) return i + 1;
        if (b === delim) state = FIELD_START;
        else if (b === QUOTE && state === FIELD_START) state = QUOTED;
        else state = UNQUOTED;
    }
  }
  return -1;
}

const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_IN_QUOTED = 3;

/** The fields of one record (its text without the line break). `line` is for error messages. */
export function parseCsvRecord(text: string, line: number, options: CsvOptions = {}, source = ''): string[] {
  const delim = options.delimiter ?? ',';
  checkDelimiter(delim);
  if (text.endsWith('\r')) text = text.slice(0, -1);
  const fields: string[] = [];
  let i = 0;
  const n = text.length;
  for (;;) {
    if (i < n && text[i] === '"') {
      // Quoted field: up to the closing quote; "" is a quote.
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) throw new BadLineError('a quoted field is not closed', source, line, text);
        value += text.slice(j, q);
        if (text[q + 1] === '"') {
          value += '"';
          j = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      fields.push(value);
      if (i === n) return fields;
      if (text[i] !== delim) throw new BadLineError(`unexpected ${JSON.stringify(text[i])} after a closing quote`, source, line, text);
      i++;
      continue;
    }
    let end = text.indexOf(delim, i);
    if (end < 0) end = n;
    const value = text.slice(i, end);
    if (value.includes('"')) throw new BadLineError('a quote inside an unquoted field (quote the whole field and double the quote)', source, line, text);
    fields.push(value);
    if (end === n) return fields;
    i = end + 1;
  }
}

export function checkDelimiter(delim: string): void {
  if (delim.length !== 1 || delim.charCodeAt(0) > 0x7f || delim === '"' || delim === '\n' || delim === '\r') {
    throw new TypeError(`CSV delimiter must be one ASCII character other than a quote or line break, got ${JSON.stringify(delim)}`);
  }
}

/** One field as CSV: quoted when it holds the delimiter, a quote, a line break or edge spaces. */
export function formatCsvField(value: unknown, delimiter = ','): string {
  if (value === null || value === undefined) return '';
  const s = typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (s.includes(delimiter) || s.includes('"') || s.includes('\n') || s.includes('\r') || s.trim() !== s) {
    return `"${s.replaceAll('"', '""')}"`;
  }
  return s;
}

export function formatCsvRecord(values: readonly unknown[], delimiter = ','): string {
  return values.map((v) => formatCsvField(v, delimiter)).join(delimiter) + '\n';
}

/** Lines a record spans (the line breaks inside quoted fields count), for line numbers. */
export function countLines(buf: Buffer, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) if (buf[i] === LF) n++;
  return n;
}

export { LF };
