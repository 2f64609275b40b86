import type { Point } from './geo.js';

/** A GPS fix of a vehicle (keyed by vehicle). */
export interface Position {
  readonly vehicle: string;
  readonly lon: number;
  readonly lat: number;
  readonly ts: number;
}

/** Something a vehicle did, in event-time order per vehicle. */
export type VehicleEvent =
  | { readonly type: 'enter' | 'exit'; readonly vehicle: string; readonly zone: string; readonly ts: number }
  | { readonly type: 'speeding'; readonly vehicle: string; readonly speedKmh: number; readonly ts: number }
  | { readonly type: 'idle'; readonly vehicle: string; readonly since: number; readonly ts: number }
  | { readonly type: 'moving'; readonly vehicle: string; readonly ts: number };

/** Distinct vehicles seen in a zone in one minute. */
export interface ZoneOccupancy {
  readonly zone: string;
  readonly start: number;
  readonly end: number;
  readonly vehicles: number;
}

export interface Zone {
  readonly name: string;
  readonly polygon: readonly Point[];
}

export const TOPICS = {
  positions: 'vehicle-positions',
  events: 'vehicle-events',
  occupancy: 'zone-occupancy',
} as const;
