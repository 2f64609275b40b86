import type { Decoded, RequestApiKey, RequestTypes, ResponseTypes } from '../protocol/index.js';
import type { NoResponse, RequestContext } from './context.js';

/**
 * One Kafka API served by the broker: a file under handlers/ exports one of these. `minVersion` and
 * `maxVersion` narrow the versions advertised below what the generated codecs support.
 */
export interface Handler<K extends RequestApiKey> {
  readonly apiKey: K;
  readonly minVersion?: number;
  readonly maxVersion?: number;
  handle(
    ctx: RequestContext,
    body: Decoded<RequestTypes[K]>,
  ): ResponseTypes[K] | NoResponse | Promise<ResponseTypes[K] | NoResponse>;
}

/** A handler of any api key (the registry's element type). */
export type AnyHandler = { [K in RequestApiKey]: Handler<K> }[RequestApiKey];

export function defineHandler<K extends RequestApiKey>(h: Handler<K>): Handler<K> {
  return h;
}
