import { TributaryError } from '../../records/errors.js';

/** The sink's configuration is wrong (a key column not among the columns, a bad identifier, ...). */
export class PostgresSinkConfigError extends TributaryError {
  constructor(message: string) {
    super('INVALID_CONFIG', message);
  }
}

/** A record the mapping cannot turn into a row: its value is not JSON, a key column is missing. */
export class RecordMappingError extends TributaryError {
  constructor(
    message: string,
    readonly topic: string,
    readonly partition: number,
    readonly offset: number,
    options?: { cause?: unknown },
  ) {
    super('INVALID_RECORD', `${topic}-${partition}@${offset}: ${message}`, options);
  }
}

/** PostgreSQL refused the batch for a reason retrying cannot fix (a constraint, a type, a missing table). */
export class PostgresSinkError extends TributaryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNKNOWN_SERVER_ERROR', message, options);
  }
}
