import type { TopicConfig } from './topic-config.js';

export interface RetentionView {
  size: number;
  /** Largest record timestamp (or mtime when there is none). */
  largestTimestamp(): number;
}

export interface RetentionDecision {
  /** How many segments, from the oldest, to delete. */
  count: number;
  reason: 'retention.ms' | 'retention.bytes' | null;
}

/**
 * Which leading segments retention deletes, as Kafka decides it: first by time (every segment whose
 * newest record is older than retention.ms, stopping at the first that is not), else by size (the
 * oldest segments, as long as what remains is still at least retention.bytes). Only whole segments
 * go, always a prefix. The last (active) segment may be included when it is not empty; the caller
 * then rolls first, as Kafka does, so the partition always keeps an active segment.
 */
export function segmentsToDelete(segments: readonly RetentionView[], config: TopicConfig, now: number): RetentionDecision {
  const n = segments.length;
  const retentionMs = config['retention.ms'];
  if (retentionMs >= 0) {
    let count = 0;
    while (count < n) {
      const s = segments[count]!;
      const isLastAndEmpty = count === n - 1 && s.size === 0;
      if (isLastAndEmpty || now - s.largestTimestamp() <= retentionMs) break;
      count++;
    }
    if (count > 0) return { count, reason: 'retention.ms' };
  }
  const retentionBytes = config['retention.bytes'];
  if (retentionBytes >= 0) {
    let total = 0;
    for (const s of segments) total += s.size;
    let excess = total - retentionBytes;
    let count = 0;
    while (count < n) {
      const s = segments[count]!;
      const isLastAndEmpty = count === n - 1 && s.size === 0;
      if (isLastAndEmpty || excess - s.size < 0) break;
      excess -= s.size;
      count++;
    }
    if (count > 0) return { count, reason: 'retention.bytes' };
  }
  return { count: 0, reason: null };
}
