import { approxDistinct, json, string, tumbling, type Duration, type Sink, type StreamsApp } from '../../src/index.js';
import { TOPICS, type Position, type VehicleEvent, type Zone, type ZoneOccupancy } from './events.js';
import { VehicleTracker, type TrackerOptions } from './tracker.js';
import { ZONES, zonesOf } from './zones.js';

export interface LocationOptions extends Partial<TrackerOptions> {
  readonly zones?: readonly Zone[];
  /** Default '30s': how late a GPS fix may arrive. */
  readonly maxOutOfOrderness?: Duration;
  /** Occupancy window; default '1m'. */
  readonly occupancyWindow?: Duration;
}

export interface LocationSinks {
  readonly events: Sink<string, VehicleEvent>;
  readonly occupancy: Sink<string, ZoneOccupancy>;
}

/**
 * Fleet tracking over `vehicle-positions` (keyed by vehicle):
 * - `vehicle-events`: geofence enter/exit, speeding, idle and moving, per vehicle in event-time order;
 * - `zone-occupancy`: distinct vehicles per zone per minute (HyperLogLog; exact for small fleets in practice).
 */
export function location(app: StreamsApp, o: LocationOptions = {}): LocationSinks {
  const zones = o.zones ?? ZONES;
  const positions = app.stream(TOPICS.positions, { key: string(), value: json<Position>(), timestamp: (p) => p.ts, maxOutOfOrderness: o.maxOutOfOrderness ?? '30s' });

  const events = positions
    .process(() => new VehicleTracker({ ...o, zones }), { name: 'tracker' })
    .to(TOPICS.events, { key: string(), value: json<VehicleEvent>() });

  const vehicles = approxDistinct((p: Position) => p.vehicle);
  const occupancy = positions
    .flatMap((p) => zonesOf([p.lon, p.lat], zones).map((z) => [z, p] as const))
    .groupByKey({ key: string(), name: 'by-zone' })
    .window(tumbling(o.occupancyWindow ?? '1m'), { name: 'occupancy-window' })
    .aggregate(vehicles, { name: 'occupancy' })
    .toStream()
    .map((n, w) => [w.key, { zone: w.key, start: w.start, end: w.end, vehicles: n } satisfies ZoneOccupancy] as const)
    .to(TOPICS.occupancy, { key: string(), value: json<ZoneOccupancy>() });

  return { events, occupancy };
}
