import { Processor, type ProcessorContext, type ProcessorRecord, type ValueState } from '../../src/index.js';
import type { Alert, ServiceHealth } from './events.js';

export interface HysteresisOptions {
  /** The alert fires when a window's error rate reaches this (e.g. 0.1). */
  readonly fireAt: number;
  /** A firing alert resolves when a window's error rate falls to this or below (e.g. 0.05). */
  readonly resolveAt: number;
  /** Windows with fewer requests are not judged (too little traffic to say). */
  readonly minRequests: number;
}

/**
 * Error-rate alerting with hysteresis, per service (the stream is keyed by service and carries
 * its windows in order of their end): an alert fires once when the rate reaches `fireAt` and
 * stays firing — however many windows stay above — until the rate falls to `resolveAt` or below;
 * then it resolves once. The gap between the two thresholds is what keeps a rate hovering around
 * one threshold from flapping. Only state changes are emitted, so notifications are deduplicated
 * by construction; each carries the id of its episode, for receivers to drop re-deliveries.
 */
export class ErrorRateHysteresis extends Processor<string, ServiceHealth, string, Alert> {
  private firing!: ValueState<string>;

  constructor(private readonly o: HysteresisOptions) {
    super();
    if (!(o.resolveAt < o.fireAt)) throw new RangeError('resolveAt must be below fireAt');
  }

  override init(ctx: ProcessorContext<string, string, Alert>): void {
    super.init(ctx);
    // The id of the firing episode, absent while resolved.
    this.firing = ctx.state.value<string>('firing');
  }

  process(r: ProcessorRecord<string, ServiceHealth>): void {
    const h = r.value;
    if (h.requests < this.o.minRequests) return;
    const id = this.firing.get();
    if (id === undefined && h.errorRate >= this.o.fireAt) {
      const fired = `${h.service}/error-rate/${h.end}`;
      this.firing.set(fired);
      this.ctx.forward(h.service, alertOf(fired, 'firing', h));
    } else if (id !== undefined && h.errorRate <= this.o.resolveAt) {
      this.firing.clear();
      this.ctx.forward(h.service, alertOf(id, 'resolved', h));
    }
  }
}

function alertOf(id: string, state: Alert['state'], h: ServiceHealth): Alert {
  return {
    id,
    service: h.service,
    state,
    errorRate: h.errorRate,
    requests: h.requests,
    errorLogs: h.errorLogs,
    sampleError: h.sampleError,
    windowStart: h.start,
    windowEnd: h.end,
  };
}
