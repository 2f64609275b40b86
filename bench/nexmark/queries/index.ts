/** Every implemented Nexmark query, in benchmark order. */
import type { NexmarkQuery } from './query.js';
import { q0 } from './q0.js';
import { q1 } from './q1.js';
import { q2 } from './q2.js';
import { q3 } from './q3.js';
import { q4 } from './q4.js';
import { q5 } from './q5.js';
import { q6 } from './q6.js';
import { q7 } from './q7.js';
import { q8 } from './q8.js';
import { q11 } from './q11.js';
import { q12 } from './q12.js';
import { q14 } from './q14.js';
import { q15 } from './q15.js';
import { q16 } from './q16.js';
import { q17 } from './q17.js';
import { q18 } from './q18.js';
import { q19 } from './q19.js';
import { q20 } from './q20.js';
import { q22 } from './q22.js';

export const QUERIES: readonly NexmarkQuery[] = [q0, q1, q2, q3, q4, q5, q6, q7, q8, q11, q12, q14, q15, q16, q17, q18, q19, q20, q22];

export function queryNamed(name: string): NexmarkQuery | undefined {
  return QUERIES.find((q) => q.name === name);
}

export type { NexmarkQuery } from './query.js';
export { EVENTS_TOPIC, buildQuery, nexmarkEvents } from './query.js';
