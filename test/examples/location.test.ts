import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { StreamsApp, TopologyTestDriver, embedded } from '../../src/index.js';
import { location } from '../../examples/location/topology.js';
import { fleet } from '../../examples/location/generator.js';
import { distanceMeters, pointInPolygon, type Point } from '../../examples/location/geo.js';
import { ZONES } from '../../examples/location/zones.js';
import { TOPICS, type Position, type VehicleEvent, type ZoneOccupancy } from '../../examples/location/events.js';
import { ensureTopics, readTopic, writeRecords } from '../../examples/shared/log-io.js';

test('pointInPolygon: a rectangle is its bounds; a concave L is the union of its two rectangles; vertex order does not matter', () => {
  const rect: Point[] = [[0, 0], [4, 0], [4, 2], [0, 2]];
  const L: Point[] = [[0, 0], [6, 0], [6, 1], [2, 1], [2, 5], [0, 5]];
  const inRect = (p: Point, x0: number, y0: number, x1: number, y1: number) => p[0] > x0 && p[0] < x1 && p[1] > y0 && p[1] < y1;
  // Points off the edges (a fence edge has no width, so points on it are not specified).
  const coord = fc.double({ min: -1, max: 7, noNaN: true }).filter((v) => ![0, 1, 2, 4, 5, 6].includes(v));
  fc.assert(
    fc.property(coord, coord, (x, y) => {
      const p: Point = [x, y];
      assert.equal(pointInPolygon(p, rect), inRect(p, 0, 0, 4, 2));
      assert.equal(pointInPolygon(p, L), inRect(p, 0, 0, 6, 1) || inRect(p, 0, 0, 2, 5));
      assert.equal(pointInPolygon(p, [...L].reverse()), pointInPolygon(p, L));
    }),
    { numRuns: 2000 },
  );
  // The notch of the L and a point on the ray through a vertex.
  assert.equal(pointInPolygon([4, 3], L), false);
  // Rays through the vertex (2,1) of a triangle: the vertex counts once, not twice.
  const tri: Point[] = [[0, 0], [2, 1], [0, 2]];
  assert.equal(pointInPolygon([1, 1], tri), true);
  assert.equal(pointInPolygon([-1, 1], tri), false);
  assert.equal(pointInPolygon([3, 1], tri), false);
});

test('distanceMeters: known distances (1 degree of latitude, Berlin to Paris)', () => {
  assert.ok(Math.abs(distanceMeters([13.4, 52.5], [13.4, 53.5]) - 111_195) < 10);
  assert.ok(Math.abs(distanceMeters([13.405, 52.52], [2.3522, 48.8566]) - 877_500) < 3_000);
  assert.equal(distanceMeters([1, 2], [1, 2]), 0);
});

function input(n: number) {
  const out = [];
  for (const r of fleet({ seed: 21 })) {
    out.push(r);
    if (out.length === n) break;
  }
  return out;
}

/** The rules applied to each vehicle's fixes sorted by time, written out plainly. */
function reference(positions: readonly Position[]) {
  const byVehicle = new Map<string, Position[]>();
  for (const p of positions) byVehicle.set(p.vehicle, [...(byVehicle.get(p.vehicle) ?? []), p]);
  const events: VehicleEvent[] = [];
  for (const [vehicle, list] of byVehicle) {
    list.sort((a, b) => a.ts - b.ts);
    let zones: string[] = [];
    let speeding = false;
    let idle = false;
    let anchor = list[0]!;
    list.forEach((p, i) => {
      const now = ZONES.filter((z) => pointInPolygon([p.lon, p.lat], z.polygon)).map((z) => z.name);
      for (const z of zones) if (!now.includes(z)) events.push({ type: 'exit', vehicle, zone: z, ts: p.ts });
      for (const z of now) if (!zones.includes(z)) events.push({ type: 'enter', vehicle, zone: z, ts: p.ts });
      zones = now;
      if (i === 0) return;
      const prev = list[i - 1]!;
      const kmh = distanceMeters([prev.lon, prev.lat], [p.lon, p.lat]) / 1000 / ((p.ts - prev.ts) / 3_600_000);
      if (kmh > 90 && !speeding) events.push({ type: 'speeding', vehicle, speedKmh: Math.round(kmh * 10) / 10, ts: p.ts });
      speeding = kmh > 90;
      if (distanceMeters([anchor.lon, anchor.lat], [p.lon, p.lat]) > 30) {
        if (idle) events.push({ type: 'moving', vehicle, ts: p.ts });
        anchor = p;
        idle = false;
      } else if (!idle && p.ts - anchor.ts >= 180_000) {
        idle = true;
        events.push({ type: 'idle', vehicle, since: anchor.ts, ts: p.ts });
      }
    });
  }
  const occupancy = new Map<string, Set<string>>();
  for (const p of positions) {
    for (const z of ZONES) {
      if (!pointInPolygon([p.lon, p.lat], z.polygon)) continue;
      const k = `${z.name}@${Math.floor(p.ts / 60_000) * 60_000}`;
      occupancy.set(k, (occupancy.get(k) ?? new Set()).add(p.vehicle));
    }
  }
  return { events, occupancy };
}

const key = (e: VehicleEvent) => `${e.vehicle}|${e.ts}|${e.type}|${'zone' in e ? e.zone : ''}`;

function check(positions: Position[], events: VehicleEvent[], occupancy: ZoneOccupancy[]): void {
  const ref = reference(positions);
  for (const type of ['enter', 'exit', 'speeding', 'idle', 'moving']) {
    assert.ok(ref.events.filter((e) => e.type === type).length >= 5, `the input has '${type}' events`);
  }
  assert.deepEqual([...events].sort((a, b) => (key(a) < key(b) ? -1 : 1)), [...ref.events].sort((a, b) => (key(a) < key(b) ? -1 : 1)));
  // Per vehicle, the events come out in event-time order.
  for (const v of new Set(events.map((e) => e.vehicle))) {
    const ts = events.filter((e) => e.vehicle === v).map((e) => e.ts);
    assert.deepEqual(ts, [...ts].sort((a, b) => a - b), v);
  }
  assert.equal(occupancy.length, ref.occupancy.size);
  for (const o of occupancy) assert.equal(o.vehicles, ref.occupancy.get(`${o.zone}@${o.start}`)!.size, `${o.zone}@${o.start}`);
}

test('location: geofence, speeding, idle events and zone occupancy match a reference (test driver)', () => {
  const records = input(12_000);
  const app = new StreamsApp({ applicationId: 'location' });
  const sinks = location(app);
  const driver = new TopologyTestDriver(app, { partitions: { [TOPICS.positions]: 2 }, maxBatchSize: 41 });
  driver.input<string, Position>(TOPICS.positions).pipeAll(records.map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp })));
  driver.drain();
  assert.equal(driver.metrics().lateRecords, 0);
  assert.equal(driver.deadLetters().length, 0);
  check(records.map((r) => r.value), driver.output(sinks.events).readValues().map((v) => v!), driver.output(sinks.occupancy).readValues().map((v) => v!));
  driver.close();
});

test('location: a bounded run on the embedded log gives the same results', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-ex-location-'));
  const log = embedded({ dataDir: dir });
  try {
    const records = input(12_000);
    await ensureTopics(log, [{ name: TOPICS.positions, partitions: 2 }]);
    await writeRecords(log, records);
    const app = new StreamsApp({ applicationId: 'location', log });
    location(app);
    const summary = await app.run({ until: 'end', stateDir: join(dir, 'state') });
    assert.equal(summary.lateRecords, 0);
    const values = async <T>(topic: string) => (await readTopic(log, topic)).map((r) => JSON.parse(r.value!) as T);
    check(records.map((r) => r.value), await values<VehicleEvent>(TOPICS.events), await values<ZoneOccupancy>(TOPICS.occupancy));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
