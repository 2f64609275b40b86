/**
 * HTTP: JSON records POSTed into a topic (with backpressure), and a topic streamed out live as
 * Server-Sent Events or over WebSocket. See docs/connectors.md.
 */
export { HttpConnector, type HttpConnectorOptions, type HttpConnectorStats } from './http-connector.js';
export { LiveSubscription, parseEventId, type LiveEvent, type SubscriptionStart } from './live-subscription.js';
export { RecordAppender, type AppendedRange } from './appender.js';
export { parseBody, bodyFormat, type BodyFormat } from './body-parser.js';
export { BadRequestBodyError } from './errors.js';
