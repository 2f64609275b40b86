import type { RecordHeader } from '../records/record.js';
import { headerValue } from './codec.js';

/**
 * Watermarks, per input partition of a task.
 *
 * - A source partition's watermark is `max event time seen - maxOutOfOrderness` (−∞ before the
 *   first record, +∞ once the input is known to have ended).
 * - A repartition topic's partition is written by every task of the upstream sub-topology. Each
 *   upstream task ("writer") sends, after each batch in which its watermark moved, a watermark
 *   marker to every partition of the topic; the partition's watermark is the min over the writers'
 *   last markers, and −∞ until every writer has sent one. Writers that report themselves idle do
 *   not count.
 * - An input partition that has received nothing for `idleTimeout` (wall clock) is idle: it stops
 *   holding the task's watermark back until it receives data again. When every input is idle,
 *   the task's watermark moves to the furthest input's (nothing holds it back any more).
 * - Table inputs never hold the watermark back (a table is state, not a stream of events), unless
 *   the task has no other input.
 */
export const WATERMARK_HEADER = 'tributary.watermark';
export const WRITER_HEADER = 'tributary.writer';
export const IDLE_HEADER = 'tributary.idle';
export const STAMP_HEADER = 'tributary.stamp';

export type InputKind = 'stream' | 'table' | 'repartition';

export function encodeDouble(v: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeDoubleBE(v, 0);
  return b;
}

export function decodeDouble(b: Buffer): number {
  return b.readDoubleBE(0);
}

/** The headers of a watermark marker sent by writer `index` of `count`. */
export function markerHeaders(watermark: number, index: number, count: number, idle: boolean): RecordHeader[] {
  const h: RecordHeader[] = [
    { key: WATERMARK_HEADER, value: encodeDouble(watermark) },
    { key: WRITER_HEADER, value: Buffer.from(`${index}/${count}`, 'latin1') },
  ];
  if (idle) h.push({ key: IDLE_HEADER, value: Buffer.from('1', 'latin1') });
  return h;
}

export interface Marker {
  watermark: number;
  writer: number;
  writers: number;
  idle: boolean;
}

export function readMarker(headers: readonly RecordHeader[]): Marker | undefined {
  const wm = headerValue(headers, WATERMARK_HEADER);
  if (!wm) return undefined;
  const w = headerValue(headers, WRITER_HEADER);
  const [i, n] = (w ? w.toString('latin1') : '0/1').split('/');
  return {
    watermark: decodeDouble(wm),
    writer: Number(i),
    writers: Number(n),
    idle: headerValue(headers, IDLE_HEADER) !== undefined,
  };
}

/** Persisted per input partition (in the task's watermark store), so a restored task resumes it. */
export interface ClockState {
  maxTs: number;
  ended: boolean;
  writers: Array<[writer: number, watermark: number, idle: boolean]>;
  writerCount: number;
}

export class PartitionClock {
  maxTs = -Infinity;
  ended = false;
  /** Repartition inputs: writer -> last marker. */
  readonly writers = new Map<number, { watermark: number; idle: boolean }>();
  writerCount = 0;
  lastActivity: number;
  dirty = false;

  constructor(
    readonly topic: string,
    readonly kind: InputKind,
    readonly maxOutOfOrderness: number,
    readonly idleTimeout: number,
    now: number,
  ) {
    this.lastActivity = now;
  }

  watermark(): number {
    if (this.ended) return Infinity;
    if (this.kind !== 'repartition') return this.maxTs - this.maxOutOfOrderness;
    if (this.writerCount === 0 || this.writers.size < this.writerCount) return -Infinity;
    let min = Infinity;
    let max = -Infinity;
    let active = 0;
    for (const w of this.writers.values()) {
      if (w.watermark > max) max = w.watermark;
      if (w.idle) continue;
      active++;
      if (w.watermark < min) min = w.watermark;
    }
    // All writers idle: none holds the partition back, it is as far as the furthest one.
    return active === 0 ? max : min;
  }

  /** True when the event time moved the partition's maximum (and so its watermark). */
  observe(eventTime: number): boolean {
    if (eventTime > this.maxTs) {
      this.maxTs = eventTime;
      this.dirty = true;
      return true;
    }
    return false;
  }

  onMarker(m: Marker): void {
    this.writerCount = m.writers;
    const prev = this.writers.get(m.writer);
    // A writer's watermark never goes back (a restarted writer may resend an older one).
    const watermark = prev && prev.watermark > m.watermark ? prev.watermark : m.watermark;
    this.writers.set(m.writer, { watermark, idle: m.idle });
    this.dirty = true;
  }

  /** Idle: nothing received for idleTimeout, or (repartition) every writer says it is idle. */
  isIdle(now: number): boolean {
    if (this.ended) return false;
    if (this.kind === 'repartition' && this.writerCount > 0 && this.writers.size === this.writerCount) {
      let allIdle = true;
      for (const w of this.writers.values()) if (!w.idle) allIdle = false;
      if (allIdle) return true;
    }
    return now - this.lastActivity >= this.idleTimeout;
  }

  end(): void {
    if (!this.ended) {
      this.ended = true;
      this.dirty = true;
    }
  }

  state(): ClockState {
    return {
      maxTs: this.maxTs,
      ended: this.ended,
      writers: [...this.writers].map(([i, w]) => [i, w.watermark, w.idle]),
      writerCount: this.writerCount,
    };
  }

  restore(s: ClockState): void {
    this.maxTs = s.maxTs;
    this.ended = s.ended;
    this.writerCount = s.writerCount;
    this.writers.clear();
    for (const [i, wm, idle] of s.writers) this.writers.set(i, { watermark: wm, idle });
  }
}
