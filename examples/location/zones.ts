import type { Zone } from './events.js';
import { pointInPolygon, type Point } from './geo.js';

/** The geofences (around Berlin): a square depot, an L-shaped (concave) city centre, an irregular airport. */
export const ZONES: readonly Zone[] = [
  { name: 'depot', polygon: [[13.30, 52.50], [13.32, 52.50], [13.32, 52.51], [13.30, 52.51]] },
  {
    name: 'centre',
    polygon: [[13.37, 52.50], [13.43, 52.50], [13.43, 52.515], [13.395, 52.515], [13.395, 52.53], [13.37, 52.53]],
  },
  { name: 'airport', polygon: [[13.49, 52.36], [13.53, 52.355], [13.55, 52.375], [13.52, 52.39], [13.49, 52.385]] },
];

/** The zones containing p, in ZONES order. */
export function zonesOf(p: Point, zones: readonly Zone[] = ZONES): string[] {
  return zones.filter((z) => pointInPolygon(p, z.polygon)).map((z) => z.name);
}
