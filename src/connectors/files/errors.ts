import { TributaryError } from '../../records/errors.js';

/** A line (or CSV record) of an input file that cannot be read as a record. */
export class BadLineError extends TributaryError {
  constructor(
    readonly reason: string,
    readonly file: string,
    /** 1-based line where the record starts. */
    readonly line: number,
    /** The offending text (possibly several lines for CSV). */
    readonly text: string,
  ) {
    super('INVALID_RECORD', `${file ? `${file}:` : 'line '}${line}: ${reason}`);
  }
}

/** The file connector's configuration or state does not fit (a missing file, a foreign position file). */
export class FileConnectorError extends TributaryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_CONFIG', message, options);
  }
}
