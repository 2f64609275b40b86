// day() keeps the text of the last day it was asked for: in time order, out of order, across
// midnight and before 1970 it answers what DATE_FORMAT(dateTime, 'yyyy-MM-dd') in UTC does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { day } from '../../../bench/nexmark/queries/query.js';
import { rng } from '../../support/rng.js';

const DAY = 86_400_000;
const iso = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

test('day(): the UTC date of every instant, asked in order, out of order and around midnights', () => {
  const r = rng(3);
  const times: number[] = [];
  // Around midnights (the last and first milliseconds of days), both sides of the epoch.
  for (const d of [-3, -1, 0, 1, 19_000, 20_418]) for (const off of [-1, 0, 1, DAY - 1]) times.push(d * DAY + off);
  // A run in time order crossing days, then jumps back and forth between days.
  let t = 1_700_000_000_000 - 1_000;
  for (let i = 0; i < 5_000; i++) times.push((t += Math.floor(r() * 60_000)));
  for (let i = 0; i < 5_000; i++) times.push(Math.floor((r() - 0.3) * 4e12));
  for (const ms of times) assert.equal(day(ms), iso(ms), `at ${ms}`);
});

test('day(): an instant out of the Date range throws, as toISOString does, and does not disturb the next answer', () => {
  assert.throws(() => day(NaN), RangeError);
  assert.throws(() => day(9e15), RangeError);
  assert.equal(day(0), '1970-01-01');
});
