/**
 * The measured constants of the capacity model (src/cli/plan/model.ts), and the runs they come
 * from. Re-measure with `npm run bench -- plan-calibration --json` (bench/plan-calibration.ts,
 * which writes bench/results/plan-calibration.json and prints this object).
 */
export interface PlanConstants {
  readonly cpu: {
    /** CPU µs per input record: fetch, decode, key, lateness, one pane update, commit share. */
    readonly microsPerRecord: number;
    /** CPU µs per window result: merging its panes, encoding, producing it (transactionally). */
    readonly microsPerOutput: number;
    /** CPU µs per (key, pane) entry created: insert, timers, store put + changelog, delete when dropped. */
    readonly microsPerNewEntry: number;
    /**
     * Extra CPU µs per entry created, per 100,000 entries the store holds: a large state makes
     * each entry dearer (the garbage collector marks and moves more live objects, the store's
     * hash table misses the CPU caches more).
     */
    readonly microsPerNewEntryPer100kHeld: number;
    /** CPU µs per record re-keyed by keyBy: key function, encode, produce to and fetch from the repartition topic, decode. */
    readonly microsPerRepartitionedRecord: number;
  };
  readonly state: {
    /** Encoded accumulator bytes of an entry (a count: v8-serialized number). */
    readonly valueBytesPerEntry: number;
  };
  readonly memory: {
    /** RSS of a process before state. */
    readonly baseRssMb: number;
    /** Heap bytes per state entry (store entry + record cache + timers), from peak RSS. */
    readonly heapBytesPerEntry: number;
  };
  /** Where these numbers come from (bench, date, machine). */
  readonly source: string;
}

/**
 * Measured on the 2-core development machine (Node v20.20.2, load average ~33 from other work:
 * CPU seconds are inflated by the sharing, so these are pessimistic), 2026-11-26:
 *  - cpu, state: `npm run bench -- plan-calibration --events 100000 --repeat 2`
 *    (bench/results/plan-calibration.json): five windowed counts at 1,000-5,000 events/s over
 *    200-20,000 keys and four at 50,000-100,000 events/s over 20,000-100,000 keys (two re-keyed
 *    by keyBy over 4 partitions), 2 interleaved rounds, least CPU of each, five terms fitted.
 *    Checked in the same run against `npm run bench -- engine --case b --events 1000000`:
 *    measured 10.91 µs/event, plan 7.74 (-29 %).
 *  - memory: `npm run bench -- state-memory --keys 1000000 --events 1000000` (README, "Engine
 *    performance"): 884 MB peak RSS with 632K window entries on a ~150 MB base, so
 *    (884 - 150) MiB / 632K ≈ 1,218 bytes of heap per entry (store, record cache, timers, GC room).
 */
export const PLAN_CONSTANTS: PlanConstants = {
  cpu: { microsPerRecord: 3.37, microsPerOutput: 4.6, microsPerNewEntry: 3.87, microsPerNewEntryPer100kHeld: 14.27, microsPerRepartitionedRecord: 0.68 },
  state: { valueBytesPerEntry: 9 },
  memory: { baseRssMb: 150, heapBytesPerEntry: 1218 },
  source: 'plan-calibration 2026-11-26 (bench/results/plan-calibration.json) and state-memory (README), 2-core dev machine under load',
};
