import { InvalidConfigError } from './errors.js';

/**
 * Per-topic configuration with Kafka's names and (mostly) Kafka's defaults. Only overrides are
 * persisted; the rest resolves against the LogManager's defaults at open, as Kafka resolves topic
 * overrides against broker defaults.
 */
export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete';
export type MessageTimestampType = 'CreateTime' | 'LogAppendTime';

export interface TopicConfig {
  'cleanup.policy': CleanupPolicy;
  /** Roll the active segment before it would grow past this. */
  'segment.bytes': number;
  /** Roll the active segment this long after its first append. */
  'segment.ms': number;
  /** Delete whole segments whose newest record is older than this; -1 keeps them forever. */
  'retention.ms': number;
  /** Delete the oldest segments while the partition is larger than this; -1 for no limit. */
  'retention.bytes': number;
  /** Largest batch the log accepts. */
  'max.message.bytes': number;
  /** How long a tombstone survives once the cleaner has seen it. */
  'delete.retention.ms': number;
  /** Records younger than this are never compacted (their segment is not cleanable yet). */
  'min.compaction.lag.ms': number;
  /** The background cleaner runs when dirty bytes / cleanable bytes reaches this. */
  'min.cleanable.dirty.ratio': number;
  'message.timestamp.type': MessageTimestampType;
  /** Bytes of log between two entries of the sparse offset and time indexes. */
  'index.interval.bytes': number;
}

export type ConfigName = keyof TopicConfig;

/** What callers pass: typed values, or the strings a CLI or a CreateTopics request carries. */
export type TopicConfigInput = { readonly [K in ConfigName]?: TopicConfig[K] | string | number };

const DAY = 24 * 60 * 60 * 1000;

export const DEFAULT_TOPIC_CONFIG: Readonly<TopicConfig> = Object.freeze({
  'cleanup.policy': 'delete',
  'segment.bytes': 1024 * 1024 * 1024,
  'segment.ms': 7 * DAY,
  'retention.ms': 7 * DAY,
  'retention.bytes': -1,
  // Kafka's default: 1 MiB of records plus the 12-byte log overhead.
  'max.message.bytes': 1024 * 1024 + 12,
  'delete.retention.ms': DAY,
  'min.compaction.lag.ms': 0,
  'min.cleanable.dirty.ratio': 0.5,
  'message.timestamp.type': 'CreateTime',
  'index.interval.bytes': 4096,
});

const INT32_MAX = 0x7fffffff;
/** The smallest segment that can hold one batch header; Kafka's floor is 14, useless in practice. */
const MIN_SEGMENT_BYTES = 61;

type Parser<T> = (name: string, raw: unknown) => T;

function integer(min: number, max: number = Number.MAX_SAFE_INTEGER): Parser<number> {
  return (name, raw) => {
    let v: number;
    if (typeof raw === 'number') v = raw;
    else if (typeof raw === 'string' && /^\s*-?\d+\s*$/.test(raw)) v = Number(raw);
    else throw new InvalidConfigError(`${name} must be an integer, got ${JSON.stringify(raw)}`);
    if (!Number.isSafeInteger(v) || v < min || v > max) {
      throw new InvalidConfigError(`${name} must be an integer in [${min}, ${max}], got ${String(raw)}`);
    }
    return v;
  };
}

function ratio(name: string, raw: unknown): number {
  const v = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isFinite(v) || v < 0 || v > 1) throw new InvalidConfigError(`${name} must be a number in [0, 1], got ${String(raw)}`);
  return v;
}

function cleanupPolicy(name: string, raw: unknown): CleanupPolicy {
  if (typeof raw !== 'string') throw new InvalidConfigError(`${name} must be a string, got ${typeof raw}`);
  const parts = new Set(raw.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== ''));
  for (const p of parts) {
    if (p !== 'delete' && p !== 'compact') throw new InvalidConfigError(`${name} "${raw}" is invalid: use delete, compact or compact,delete`);
  }
  if (parts.size === 0) throw new InvalidConfigError(`${name} is empty`);
  if (parts.size === 2) return 'compact,delete';
  return parts.has('compact') ? 'compact' : 'delete';
}

function timestampType(name: string, raw: unknown): MessageTimestampType {
  if (raw === 'CreateTime' || raw === 'LogAppendTime') return raw;
  throw new InvalidConfigError(`${name} must be CreateTime or LogAppendTime, got ${String(raw)}`);
}

const PARSERS: { readonly [K in ConfigName]: Parser<TopicConfig[K]> } = {
  'cleanup.policy': cleanupPolicy,
  'segment.bytes': integer(MIN_SEGMENT_BYTES, INT32_MAX),
  'segment.ms': integer(1),
  'retention.ms': integer(-1),
  'retention.bytes': integer(-1),
  'max.message.bytes': integer(0, INT32_MAX),
  'delete.retention.ms': integer(0),
  'min.compaction.lag.ms': integer(0),
  'min.cleanable.dirty.ratio': ratio,
  'message.timestamp.type': timestampType,
  'index.interval.bytes': integer(0, INT32_MAX),
};

export const CONFIG_NAMES: readonly ConfigName[] = Object.keys(PARSERS) as ConfigName[];

function isConfigName(name: string): name is ConfigName {
  return Object.prototype.hasOwnProperty.call(PARSERS, name);
}

/**
 * Validates and normalizes overrides: every name must be known and every value valid, else
 * InvalidConfigError naming the first offender. The result holds typed values only.
 */
export function parseTopicConfig(input: TopicConfigInput | Record<string, unknown> | undefined): Partial<TopicConfig> {
  const out: Partial<Record<ConfigName, unknown>> = {};
  if (input === undefined || input === null) return out as Partial<TopicConfig>;
  if (typeof input !== 'object') throw new InvalidConfigError('topic config must be an object');
  for (const [name, raw] of Object.entries(input)) {
    if (raw === undefined) continue;
    if (!isConfigName(name)) {
      throw new InvalidConfigError(`unknown topic config "${name}" (known: ${CONFIG_NAMES.join(', ')})`);
    }
    out[name] = PARSERS[name](name, raw);
  }
  return out as Partial<TopicConfig>;
}

/**
 * Overrides on top of defaults. max.message.bytes above segment.bytes is allowed (Kafka allows it):
 * an append larger than a segment then fails with RECORD_LIST_TOO_LARGE.
 */
export function resolveTopicConfig(overrides: Partial<TopicConfig>, defaults: Readonly<TopicConfig> = DEFAULT_TOPIC_CONFIG): TopicConfig {
  return { ...defaults, ...overrides };
}

export function compacts(config: TopicConfig): boolean {
  return config['cleanup.policy'] !== 'delete';
}

export function deletes(config: TopicConfig): boolean {
  return config['cleanup.policy'] !== 'compact';
}
