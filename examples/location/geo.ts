/** Plane geometry on [longitude, latitude] points, enough for geofences a few km across. */

export type Point = readonly [lon: number, lat: number];

/**
 * Whether `p` lies inside the simple polygon `ring` (vertices in order, closed implicitly), by
 * ray casting: a ray from p to the east crosses the boundary an odd number of times iff p is
 * inside. Works for concave polygons. Points exactly on an edge may fall either way (a fence
 * edge has no width); the half-open test `(yi > y) !== (yj > y)` counts a vertex on the ray once.
 */
export function pointInPolygon(p: Point, ring: readonly Point[]): boolean {
  const [x, y] = p;
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i]!;
    const [xj, yj] = ring[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

const EARTH_RADIUS_M = 6_371_008.8;

/** Great-circle distance in meters (haversine). */
export function distanceMeters(a: Point, b: Point): number {
  const rad = Math.PI / 180;
  const dLat = (b[1] - a[1]) * rad;
  const dLon = (b[0] - a[0]) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}
