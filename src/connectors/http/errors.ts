import { TributaryError } from '../../records/errors.js';

/** A request body that is not records: the HTTP connector answers 400 with this message. */
export class BadRequestBodyError extends TributaryError {
  constructor(
    message: string,
    /** 1-based line (JSON Lines) or 0-based array index of the offending record, when known. */
    readonly at?: { line?: number; index?: number },
  ) {
    super('INVALID_RECORD', message);
  }
}
