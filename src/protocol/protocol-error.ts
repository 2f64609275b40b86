/**
 * Typed errors of the protocol layer. Every one carries the Kafka error name (`code`, as every
 * TributaryError does) and the numeric Kafka error code (`errorCode`) the broker puts on the wire.
 *
 * Decoding never lets a RangeError escape and never allocates a length read from the wire before
 * checking it against the bytes that are left: malformed input always ends up here.
 */
import { TributaryError, type ErrorCode } from '../records/errors.js';

/** Names this layer raises; a subset of Kafka's error names (see errors.ts for all of them). */
export type ProtocolErrorName = 'CORRUPT_MESSAGE' | 'INVALID_REQUEST' | 'UNSUPPORTED_VERSION';

const NUMERIC: Record<ProtocolErrorName, number> = {
  CORRUPT_MESSAGE: 2,
  UNSUPPORTED_VERSION: 35,
  INVALID_REQUEST: 42,
};

export class ProtocolError extends TributaryError {
  /** Kafka's numeric error code for `code`. */
  readonly errorCode: number;
  constructor(code: ProtocolErrorName, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.errorCode = NUMERIC[code];
  }
}

/**
 * Bytes that do not decode: short buffer, negative length for a non-nullable field, a count larger
 * than the bytes left, a varint too long, trailing bytes. INVALID_REQUEST when a request is decoded
 * (what a Kafka broker answers), CORRUPT_MESSAGE when a response is.
 */
export class MalformedMessageError extends ProtocolError {
  /** Offset in the buffer where decoding failed. */
  readonly offset: number;
  constructor(code: 'CORRUPT_MESSAGE' | 'INVALID_REQUEST', message: string, offset: number) {
    super(code, `${message} (at byte ${offset})`);
    this.offset = offset;
  }
}

/**
 * An API version this build has no codec for, or a non-default value of a non-ignorable field in
 * a version that lacks the field (Kafka's UnsupportedVersionException in both cases).
 */
export class UnsupportedVersionError extends ProtocolError {
  readonly apiKey: number;
  readonly apiVersion: number;
  constructor(apiKey: number, apiVersion: number, message?: string) {
    super('UNSUPPORTED_VERSION', message ?? `api key ${apiKey} has no version ${apiVersion}`);
    this.apiKey = apiKey;
    this.apiVersion = apiVersion;
  }
}

/** An API key this build does not know (a Kafka broker answers INVALID_REQUEST and closes). */
export class UnknownApiKeyError extends ProtocolError {
  readonly apiKey: number;
  constructor(apiKey: number) {
    super('INVALID_REQUEST', `unknown api key ${apiKey}`);
    this.apiKey = apiKey;
  }
}

/**
 * A value that cannot be encoded: null in a non-nullable field, a string longer than 32767 bytes,
 * an integer out of range, a malformed uuid, or a non-default value of a non-ignorable field in a
 * version that lacks it (then it is an UnsupportedVersionError, see `unsupportedField`).
 */
export class InvalidFieldValueError extends ProtocolError {
  constructor(message: string) {
    super('INVALID_REQUEST', message);
  }
}

/** Thrown by generated encoders: Kafka's "Attempted to write a non-default X at version N". */
export function unsupportedField(
  apiKey: number,
  apiVersion: number,
  field: string,
  versions: string,
): UnsupportedVersionError {
  return new UnsupportedVersionError(
    apiKey,
    apiVersion,
    `cannot write a non-default ${field} at version ${apiVersion}: the field is not ignorable and exists only in versions ${versions}`,
  );
}
