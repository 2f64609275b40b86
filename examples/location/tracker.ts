import { Processor, type ListState, type ProcessorContext, type ProcessorRecord, type TimerFiring, type ValueState } from '../../src/index.js';
import type { Position, VehicleEvent, Zone } from './events.js';
import { distanceMeters } from './geo.js';
import { zonesOf } from './zones.js';

export interface TrackerOptions {
  readonly zones: readonly Zone[];
  /** Speeding above this; default 90 km/h. */
  readonly speedLimitKmh?: number;
  /** A vehicle that stays within `idleRadiusM` for `idleAfterMs` is idle; defaults 30 m, 3 min. */
  readonly idleRadiusM?: number;
  readonly idleAfterMs?: number;
}

/** What the tracker remembers per vehicle. */
interface Track {
  last: Position;
  zones: string[];
  speeding: boolean;
  /** Where the vehicle has stayed (within the idle radius) since `anchor.ts`. */
  anchor: Position;
  idle: boolean;
}

/**
 * Per vehicle (the stream is keyed by vehicle), in event-time order: geofence enter/exit events,
 * speeding (once per episode over the limit, speed from consecutive fixes) and idle/moving.
 *
 * GPS fixes arrive out of order, and every rule here compares a fix with the previous one, so
 * fixes are first put back in order: each waits in list state until the watermark passes its
 * time (an event-time timer), when every earlier fix has arrived; then the due fixes are applied
 * sorted by time.
 */
export class VehicleTracker extends Processor<string, Position, string, VehicleEvent> {
  private pending!: ListState<Position>;
  private track!: ValueState<Track>;
  private readonly limit: number;
  private readonly radius: number;
  private readonly idleAfter: number;

  constructor(private readonly o: TrackerOptions) {
    super();
    this.limit = o.speedLimitKmh ?? 90;
    this.radius = o.idleRadiusM ?? 30;
    this.idleAfter = o.idleAfterMs ?? 3 * 60_000;
  }

  override init(ctx: ProcessorContext<string, string, VehicleEvent>): void {
    super.init(ctx);
    this.pending = ctx.state.list<Position>('pending');
    this.track = ctx.state.value<Track>('track');
  }

  process(r: ProcessorRecord<string, Position>): void {
    this.pending.add(r.value);
    this.ctx.timers.registerEventTime(r.value.ts);
  }

  override onTimer(t: TimerFiring): void {
    const all = this.pending.get();
    const due = all.filter((p) => p.ts <= t.time).sort((a, b) => a.ts - b.ts);
    if (due.length === 0) return;
    this.pending.set(all.filter((p) => p.ts > t.time));
    let track = this.track.get();
    for (const p of due) track = this.apply(track, p);
    this.track.set(track!);
  }

  private apply(track: Track | undefined, p: Position): Track {
    const emit = (e: VehicleEvent) => this.ctx.forward(p.vehicle, e, { timestamp: p.ts });
    const zones = zonesOf([p.lon, p.lat], this.o.zones);
    const before = track?.zones ?? [];
    for (const z of before) if (!zones.includes(z)) emit({ type: 'exit', vehicle: p.vehicle, zone: z, ts: p.ts });
    for (const z of zones) if (!before.includes(z)) emit({ type: 'enter', vehicle: p.vehicle, zone: z, ts: p.ts });
    if (!track) return { last: p, zones, speeding: false, anchor: p, idle: false };

    const hours = (p.ts - track.last.ts) / 3_600_000;
    const kmh = hours > 0 ? distanceMeters([track.last.lon, track.last.lat], [p.lon, p.lat]) / 1000 / hours : 0;
    let speeding = track.speeding;
    if (kmh > this.limit && !speeding) {
      speeding = true;
      emit({ type: 'speeding', vehicle: p.vehicle, speedKmh: Math.round(kmh * 10) / 10, ts: p.ts });
    } else if (kmh <= this.limit) {
      speeding = false;
    }

    let { anchor, idle } = track;
    if (distanceMeters([anchor.lon, anchor.lat], [p.lon, p.lat]) > this.radius) {
      if (idle) emit({ type: 'moving', vehicle: p.vehicle, ts: p.ts });
      anchor = p;
      idle = false;
    } else if (!idle && p.ts - anchor.ts >= this.idleAfter) {
      idle = true;
      emit({ type: 'idle', vehicle: p.vehicle, since: anchor.ts, ts: p.ts });
    }
    return { last: p, zones, speeding, anchor, idle };
  }
}
