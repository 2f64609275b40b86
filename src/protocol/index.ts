/**
 * Kafka wire protocol: request/response codecs generated from Kafka's message schemas
 * (messages/, api-keys.ts, errors.ts — see scripts/generate-protocol.ts), the hand-written
 * primitives they use (reader.ts, writer.ts), headers (header.ts) and whole frames (frame.ts).
 */
export * from './protocol-error.js';
export * from './reader.js';
export * from './writer.js';
export * from './types.js';
export * from './header.js';
export * from './frame.js';
export * from './api-keys.js';
export * from './errors.js';
export * from './messages/index.js';
