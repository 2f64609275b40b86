import { arrivalOrder } from '../shared/arrival.js';
import type { GeneratedRecord } from '../shared/log-io.js';
import { Random } from '../shared/random.js';
import { TOPICS, type Position } from './events.js';
import type { Point } from './geo.js';

export interface FleetOptions {
  readonly seed?: number;
  readonly start?: number;
  readonly vehicles?: number;
  /** GPS fix interval per vehicle, ms of event time; default 5 s. */
  readonly reportEveryMs?: number;
  readonly lateFraction?: number;
  readonly maxDelayMs?: number;
}

/** Places vehicles drive between: in the depot, the centre (both arms of the L), the airport, and outside every zone. */
const PLACES: readonly Point[] = [
  [13.31, 52.505], [13.41, 52.507], [13.38, 52.525], [13.52, 52.372], [13.35, 52.45], [13.46, 52.54],
];

/**
 * A deterministic fleet: each vehicle drives from place to place at 30-130 km/h (sometimes over
 * the limit), waits 1-6 minutes at each stop (idle), and reports a GPS fix every few seconds with
 * a little jitter. Fixes in arrival order, a fraction late.
 */
export function* fleet(o: FleetOptions = {}): Generator<GeneratedRecord & { value: Position }> {
  const random = new Random(o.seed ?? 4);
  const every = o.reportEveryMs ?? 5_000;
  const n = o.vehicles ?? 30;
  type V = { at: Point; to: Point; kmh: number; waitUntil: number; offset: number };
  const start = o.start ?? Date.UTC(2024, 0, 1);
  const vs: V[] = Array.from({ length: n }, () => ({ at: random.pick(PLACES), to: random.pick(PLACES), kmh: 50, waitUntil: start, offset: random.int(every) }));
  // Within a tick, vehicles report in order of their offset: fixes leave in event-time order.
  const order = vs.map((_, i) => i).sort((a, b) => vs[a]!.offset - vs[b]!.offset || a - b);
  function* ordered(): Generator<Position> {
    for (let tick = start; ; tick += every) {
      for (const i of order) {
        const v = vs[i]!;
        const ts = tick + v.offset;
        if (ts >= v.waitUntil) {
          // Move towards the destination for one interval (in degrees, ~ 68 km per degree of longitude here).
          const dx = (v.to[0] - v.at[0]) * 68_000;
          const dy = (v.to[1] - v.at[1]) * 111_000;
          const dist = Math.hypot(dx, dy);
          const step = (v.kmh / 3.6) * (every / 1000);
          if (dist <= step) {
            v.at = v.to;
            v.to = random.pick(PLACES.filter((p) => p !== v.at));
            v.kmh = random.chance(0.2) ? random.between(95, 130) : random.between(30, 80);
            v.waitUntil = ts + random.between(60_000, 360_000);
          } else {
            v.at = [v.at[0] + (dx / dist) * (step / 68_000), v.at[1] + (dy / dist) * (step / 111_000)];
          }
        }
        // A parked vehicle's fix still wanders a few meters (GPS noise).
        const jitter = (): number => (random.next() - 0.5) * 0.00008;
        yield { vehicle: `truck-${i}`, lon: v.at[0] + jitter(), lat: v.at[1] + jitter(), ts };
      }
    }
  }
  for (const p of arrivalOrder(ordered(), (x) => x.ts, random, { fraction: o.lateFraction ?? 0.1, maxDelayMs: o.maxDelayMs ?? 20_000 })) {
    yield { topic: TOPICS.positions, key: p.vehicle, value: p, timestamp: p.ts };
  }
}
