import { Processor, toMillis, type Duration, type ProcessorContext, type ProcessorRecord, type TimerFiring, type ValueState } from '../../src/index.js';
import type { ClickEvent, ClickKind, FunnelOutcome } from './events.js';

/** A user's open funnel: when it started and how far it got. */
interface OpenFunnel {
  start: number;
  reached: ClickKind;
  /** Time of the cart step (a purchase must come at or after it). */
  cartAt?: number;
}

/**
 * The conversion funnel view -> cart -> purchase, per user (the stream is keyed by user):
 *
 * - a view opens a funnel when the user has none open;
 * - a cart at or after the view and before start + window moves it to 'cart';
 * - a purchase at or after the cart and before start + window completes it ('purchase', emitted
 *   at the purchase's time);
 * - otherwise the funnel times out at start + window and is emitted with the deepest step reached.
 *
 * The timeout is an event-time timer at start + window: it fires once the watermark reaches it,
 * i.e. once every record before the deadline has arrived — so a slow purchase just inside the
 * window is never cut off, and the outcome is the same however the input was batched. A record
 * of the user at or after the deadline closes the funnel first (the timer may not have fired yet).
 */
export class FunnelProcessor extends Processor<string, ClickEvent, string, FunnelOutcome> {
  private open!: ValueState<OpenFunnel>;
  private readonly windowMs: number;

  constructor(window: Duration) {
    super();
    this.windowMs = toMillis(window);
  }

  override init(ctx: ProcessorContext<string, string, FunnelOutcome>): void {
    super.init(ctx);
    this.open = ctx.state.value<OpenFunnel>('funnel');
  }

  process(r: ProcessorRecord<string, ClickEvent>): void {
    const e = r.value;
    let f = this.open.get();
    if (f && e.ts >= f.start + this.windowMs) {
      this.finish(f);
      f = undefined;
    }
    if (!f) {
      if (e.kind === 'view') {
        this.open.set({ start: e.ts, reached: 'view' });
        this.ctx.timers.registerEventTime(e.ts + this.windowMs);
      }
      return;
    }
    if (e.kind === 'cart' && f.reached === 'view' && e.ts >= f.start) {
      this.open.set({ ...f, reached: 'cart', cartAt: e.ts });
    } else if (e.kind === 'purchase' && f.reached === 'cart' && e.ts >= f.cartAt!) {
      this.ctx.forward(e.user, { user: e.user, start: f.start, reached: 'purchase', end: e.ts }, { timestamp: e.ts });
      this.open.clear();
      this.ctx.timers.deleteEventTime(f.start + this.windowMs);
    }
  }

  override onTimer(t: TimerFiring): void {
    const f = this.open.get();
    // Only the timer of the funnel still open counts (an earlier funnel's deadline may remain).
    if (f && f.start + this.windowMs === t.time) this.finish(f);
  }

  private finish(f: OpenFunnel): void {
    const end = f.start + this.windowMs;
    this.ctx.forward(this.ctx.key, { user: this.ctx.key, start: f.start, reached: f.reached, end }, { timestamp: end });
    this.open.clear();
    this.ctx.timers.deleteEventTime(end);
  }
}
