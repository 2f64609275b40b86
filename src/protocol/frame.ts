/**
 * Whole frames: the 4-byte size prefix, the header and the body. This is the API the broker (and
 * the Kafka connector) uses.
 *
 * Broker side:
 *
 *   const size = frameSize(socketBuf, 0, maxRequestBytes);     // -1 until 4 bytes are there
 *   const frame = socketBuf.subarray(4, 4 + size);             // once all bytes arrived
 *   const { header, r } = readRequestFrameHeader(frame);       // never fails on unknown versions
 *   try {
 *     const req = decodeRequestFrameBody(header, r);           // { apiKey, header, body }, narrow on apiKey
 *     ...
 *     socket.cork(); for (const c of encodeResponseFrame(req.apiKey, header.apiVersion, header.correlationId, body)) socket.write(c); socket.uncork();
 *   } catch (e) {
 *     if (e instanceof UnsupportedVersionError && header.apiKey === ApiKeys.ApiVersions)
 *       socket.write(encodeApiVersionsFallbackResponse(header.correlationId, ...));
 *     else close the connection (a Kafka broker does the same for malformed requests).
 *   }
 *
 * `bytes` and `records` values of decoded messages are views into `frame`: keep the frame alive
 * (and unmodified) as long as the message is used. Buffers put into a message to encode are
 * referenced, not copied, when large (see Writer): do not change them until the chunks are written.
 */
import { ErrorCodes } from './errors.js';
import { readRequestHeader, readResponseHeader, writeRequestHeader, writeResponseHeader, type RequestHeader } from './header.js';
import {
  decodeRequestBody,
  decodeResponseBody,
  encodeRequestBody,
  encodeResponseBody,
  type RequestApiKey,
  type RequestTypes,
  type ResponseTypes,
} from './messages/index.js';
import { encodeApiVersionsResponse } from './messages/api-versions-response.js';
import { MalformedMessageError, ProtocolError } from './protocol-error.js';
import { Reader } from './reader.js';
import type { Decoded } from './types.js';
import { Writer } from './writer.js';

/** Kafka's default socket.request.max.bytes. */
export const DEFAULT_MAX_FRAME_BYTES = 100 * 1024 * 1024;

/**
 * The size announced by the 4-byte prefix at `offset`, or -1 when fewer than 4 bytes are there.
 * A negative size or one above `maxBytes` is a MalformedMessageError (INVALID_REQUEST).
 */
export function frameSize(buf: Buffer, offset = 0, maxBytes = DEFAULT_MAX_FRAME_BYTES): number {
  if (buf.length - offset < 4) return -1;
  const size = buf.readInt32BE(offset);
  if (size < 0 || size > maxBytes) {
    throw new MalformedMessageError('INVALID_REQUEST', `frame size ${size} outside [0, ${maxBytes}]`, offset);
  }
  return size;
}

/** A decoded request, discriminated by api key: `switch (req.apiKey)` narrows `body`. */
export type DecodedRequest = {
  [K in RequestApiKey]: { apiKey: K; header: RequestHeader; body: Decoded<RequestTypes[K]> };
}[RequestApiKey];

/** A decoded response body, discriminated by api key. */
export type DecodedResponse = {
  [K in RequestApiKey]: { apiKey: K; correlationId: number; body: Decoded<ResponseTypes[K]> };
}[RequestApiKey];

/**
 * Reads the request header of a frame (the bytes after the size prefix). Returns the header and
 * the reader positioned at the body. Only malformed header bytes fail here.
 */
export function readRequestFrameHeader(frame: Buffer): { header: RequestHeader; r: Reader } {
  const r = new Reader(frame, 0, frame.length, 'INVALID_REQUEST');
  return { header: readRequestHeader(r), r };
}

/**
 * Decodes the body after `readRequestFrameHeader`. Throws UnknownApiKeyError,
 * UnsupportedVersionError or MalformedMessageError (also for bytes left over after the body).
 */
export function decodeRequestFrameBody(header: RequestHeader, r: Reader): DecodedRequest {
  const body = decodeRequestBody(header.apiKey, header.apiVersion, r);
  if (r.pos !== r.end) throw r.error(`${r.end - r.pos} bytes left over after the request body`);
  return { apiKey: header.apiKey, header, body } as DecodedRequest;
}

/** Header and body of a request frame (the bytes after the size prefix) in one call. */
export function decodeRequestFrame(frame: Buffer): DecodedRequest {
  const { header, r } = readRequestFrameHeader(frame);
  return decodeRequestFrameBody(header, r);
}

/**
 * Encodes a whole response frame (size prefix, header, body) as chunks to write in order.
 * `capacity` is the first buffer's size (the writer grows as needed).
 */
export function encodeResponseFrame<K extends RequestApiKey>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  body: ResponseTypes[K],
  capacity = 1024,
): Buffer[] {
  const w = new Writer(capacity, true);
  writeResponseHeader(w, apiKey, apiVersion, correlationId);
  encodeResponseBody(apiKey, apiVersion, w, body);
  return w.finish();
}

/** Encodes a whole request frame (size prefix, header, body) as chunks. */
export function encodeRequestFrame<K extends RequestApiKey>(
  header: RequestHeader & { apiKey: K },
  body: RequestTypes[K],
  capacity = 1024,
): Buffer[] {
  const w = new Writer(capacity, true);
  writeRequestHeader(w, header);
  encodeRequestBody(header.apiKey, header.apiVersion, w, body);
  return w.finish();
}

/**
 * Decodes a response frame (the bytes after the size prefix) for the request it answers.
 * Malformed bytes are CORRUPT_MESSAGE.
 */
export function decodeResponseFrame<K extends RequestApiKey>(
  frame: Buffer,
  apiKey: K,
  apiVersion: number,
): { apiKey: K; correlationId: number; body: Decoded<ResponseTypes[K]> } {
  const r = new Reader(frame, 0, frame.length, 'CORRUPT_MESSAGE');
  const { correlationId } = readResponseHeader(r, apiKey, apiVersion);
  const start = r.pos;
  try {
    const body = decodeResponseBody(apiKey, apiVersion, r);
    if (r.pos !== r.end) throw r.error(`${r.end - r.pos} bytes left over after the response body`);
    return { apiKey, correlationId, body };
  } catch (e) {
    // A broker answers an ApiVersions request of a version it does not know with a v0 response
    // (error UNSUPPORTED_VERSION); Kafka's client retries the parse at v0 likewise.
    if (apiKey !== 18 || apiVersion === 0 || !(e instanceof ProtocolError)) throw e;
    r.pos = start;
    const body = decodeResponseBody(apiKey, 0, r);
    if (r.pos !== r.end) throw r.error(`${r.end - r.pos} bytes left over after the response body`);
    return { apiKey, correlationId, body };
  }
}

/**
 * The answer to an ApiVersions request of a version this build does not know: an ApiVersions v0
 * response (header v0) with error UNSUPPORTED_VERSION, listing the ApiVersions versions supported
 * (KIP-511), so that the client retries with one of them. Returns the whole frame.
 */
export function encodeApiVersionsFallbackResponse(
  correlationId: number,
  apiVersionsRange: { minVersion: number; maxVersion: number },
): Buffer {
  const w = new Writer(64, true);
  writeResponseHeader(w, 18, 0, correlationId);
  encodeApiVersionsResponse(w, 0, {
    errorCode: ErrorCodes.UNSUPPORTED_VERSION,
    apiKeys: [{ apiKey: 18, minVersion: apiVersionsRange.minVersion, maxVersion: apiVersionsRange.maxVersion }],
  });
  return w.toBuffer();
}
