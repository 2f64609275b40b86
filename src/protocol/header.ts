/**
 * Request and response headers (Kafka's RequestHeader.json / ResponseHeader.json, written by hand):
 *
 *   request header v0: api_key int16, api_version int16, correlation_id int32
 *   request header v1: v0 + client_id NULLABLE_STRING (int16 length, also in v2)
 *   request header v2: v1 + tagged fields
 *   response header v0: correlation_id int32
 *   response header v1: v0 + tagged fields
 *
 * Which header a message uses depends on its api key and version: flexible versions use request
 * header v2 and response header v1, others v1 and v0 (v0 request headers only for
 * ControlledShutdown v0). ApiVersions responses always use header v0, whatever the version, so that
 * a client can read the answer to a version it guessed. The header version is decided from the
 * version number alone, also for versions above the highest this build knows: a client sends its
 * highest ApiVersions version, and the broker must read that header to answer UNSUPPORTED_VERSION.
 */
import { apiSpec, isFlexibleVersion } from './api-keys.js';
import type { Reader } from './reader.js';
import type { Writer } from './writer.js';

const API_VERSIONS_KEY = 18;
const CONTROLLED_SHUTDOWN_KEY = 7;

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  /** Null when the client sent a null client id (and in header v0). */
  clientId: string | null;
}

export interface ResponseHeader {
  correlationId: number;
}

/** The request header version (0, 1 or 2) of an api key and version; unknown api keys get 1. */
export function requestHeaderVersion(apiKey: number, apiVersion: number): 0 | 1 | 2 {
  if (isFlexibleVersion(apiKey, apiVersion)) return 2;
  if (apiKey === CONTROLLED_SHUTDOWN_KEY && apiVersion === 0) return 0;
  return 1;
}

/** The response header version (0 or 1): 1 for flexible versions, except ApiVersions (always 0). */
export function responseHeaderVersion(apiKey: number, apiVersion: number): 0 | 1 {
  if (apiKey === API_VERSIONS_KEY) return 0;
  return isFlexibleVersion(apiKey, apiVersion) ? 1 : 0;
}

/**
 * Reads a request header. Never fails on an unknown api key or version (the body decoder does),
 * only on malformed bytes.
 */
export function readRequestHeader(r: Reader): RequestHeader {
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  const hv = requestHeaderVersion(apiKey, apiVersion);
  const clientId = hv >= 1 ? r.nullableString() : null;
  if (hv >= 2) r.skipTaggedFields();
  return { apiKey, apiVersion, correlationId, clientId };
}

export function writeRequestHeader(w: Writer, h: RequestHeader): void {
  w.int16(h.apiKey);
  w.int16(h.apiVersion);
  w.int32(h.correlationId);
  const hv = requestHeaderVersion(h.apiKey, h.apiVersion);
  if (hv >= 1) w.nullableString(h.clientId);
  if (hv >= 2) w.uvarint(0);
}

export function readResponseHeader(r: Reader, apiKey: number, apiVersion: number): ResponseHeader {
  const correlationId = r.int32();
  if (responseHeaderVersion(apiKey, apiVersion) >= 1) r.skipTaggedFields();
  return { correlationId };
}

export function writeResponseHeader(w: Writer, apiKey: number, apiVersion: number, correlationId: number): void {
  w.int32(correlationId);
  if (responseHeaderVersion(apiKey, apiVersion) >= 1) w.uvarint(0);
}

/** Whether this build has a codec for an api key and version. */
export function isSupportedVersion(apiKey: number, apiVersion: number): boolean {
  const s = apiSpec(apiKey);
  return s !== undefined && apiVersion >= s.minVersion && apiVersion <= s.maxVersion;
}
