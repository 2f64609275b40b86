import type { Rec } from '../records.js';
import { lastWindowStart, type Windows } from '../windows.js';
import { Operator } from './operator.js';

/**
 * The entry of a windowed stream: splits on-time records (to the aggregations, port 'main') from
 * late ones (port 'late', or the dead-letter topic when nobody reads `late()`).
 *
 * With W = max(the record's stamp, this operator's watermark):
 * - tumbling/hopping: late iff the last window containing it has closed: lastEnd + grace <= W;
 * - session: late iff ts + grace < W. (A record within grace of the watermark can never touch a
 *   session that has already been emitted — see docs/semantics.md.)
 *
 * Lateness is decided once, here, so several aggregations of one windowed stream agree.
 */
export class LatenessOperator extends Operator {
  constructor(
    name: string,
    private readonly windows: Windows,
    private readonly grace: number,
  ) {
    super(name);
  }

  process(rec: Rec): void {
    const w = this.watermark();
    const W = rec.stamp > w ? rec.stamp : w;
    if (isLate(this.windows, this.grace, rec.timestamp, W)) {
      const side = this.hasOutput('late');
      this.ctx.late(rec, this.name, side);
      if (side) this.forwardTo('late', rec);
      return;
    }
    this.forward(rec);
  }
}

export function isLate(windows: Windows, grace: number, ts: number, W: number): boolean {
  if (windows.kind === 'session') return ts + grace < W;
  return lastWindowStart(windows, ts) + windows.size + grace <= W;
}
