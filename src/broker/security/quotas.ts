import { SecurityConfigError } from './errors.js';

/** Byte rates in bytes per second; undefined: unlimited. */
export interface ByteRates {
  producerByteRate?: number;
  consumerByteRate?: number;
}

export interface QuotaOptions extends ByteRates {
  /** Per client id, replacing the defaults above for that client (Kafka's /config/clients/<id>). */
  clients?: Readonly<Record<string, ByteRates>>;
  /** quota.window.size.seconds, in ms. Default 1000. */
  windowMs?: number;
  /** quota.window.num. Default 11. */
  windowCount?: number;
}

interface Sample {
  start: number;
  bytes: number;
}

/**
 * A byte rate measured over `windowCount` windows of `windowMs`, as Kafka's Rate: the elapsed time
 * counts at least windowCount-1 whole windows, so a new client's first burst is averaged over that
 * span instead of being throttled at once.
 */
export class ByteRateSensor {
  private readonly samples: Sample[] = [];

  constructor(
    readonly quota: number,
    private readonly windowMs: number,
    private readonly windowCount: number,
  ) {}

  /**
   * Records `bytes` at `now` and returns the throttle time Kafka's ClientQuotaManager gives: how
   * long the client must stay silent for its rate to fall back to the quota; 0 when within it.
   */
  record(bytes: number, now: number): number {
    const oldestAllowed = now - this.windowMs * this.windowCount;
    while (this.samples.length > 0 && this.samples[0]!.start + this.windowMs <= oldestAllowed) this.samples.shift();
    let last = this.samples[this.samples.length - 1];
    if (last === undefined || now >= last.start + this.windowMs) {
      last = { start: now, bytes: 0 };
      this.samples.push(last);
    }
    last.bytes += bytes;
    let total = 0;
    for (const s of this.samples) total += s.bytes;
    let elapsed = now - this.samples[0]!.start;
    const minElapsed = (this.windowCount - 1) * this.windowMs;
    if (elapsed < minElapsed) elapsed = minElapsed;
    const rate = (total * 1000) / elapsed;
    if (rate <= this.quota) return 0;
    const throttle = ((rate - this.quota) / this.quota) * elapsed;
    return Math.min(Math.round(throttle), this.windowMs * this.windowCount);
  }
}

function rate(name: string, v: number | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isFinite(v) || v <= 0) throw new SecurityConfigError(`${name} must be a positive number of bytes per second, got ${String(v)}`);
  return v;
}

/**
 * Per-client-id byte-rate quotas for produce (request bytes) and fetch (response bytes), as Kafka's
 * client quotas: every connection with the same client id shares one sensor per direction.
 */
export class QuotaManager {
  private readonly produce = new Map<string, ByteRateSensor | null>();
  private readonly fetch = new Map<string, ByteRateSensor | null>();
  private readonly windowMs: number;
  private readonly windowCount: number;

  constructor(
    private readonly options: QuotaOptions,
    private readonly now: () => number = Date.now,
  ) {
    rate('producerByteRate', options.producerByteRate);
    rate('consumerByteRate', options.consumerByteRate);
    for (const [id, r] of Object.entries(options.clients ?? {})) {
      rate(`producerByteRate of client ${id}`, r.producerByteRate);
      rate(`consumerByteRate of client ${id}`, r.consumerByteRate);
    }
    this.windowMs = options.windowMs ?? 1000;
    this.windowCount = options.windowCount ?? 11;
    if (!Number.isSafeInteger(this.windowMs) || this.windowMs < 1) throw new SecurityConfigError('quota windowMs must be a positive integer');
    if (!Number.isSafeInteger(this.windowCount) || this.windowCount < 2) throw new SecurityConfigError('quota windowCount must be an integer >= 2');
  }

  /** Whether any quota is configured at all (else the connection skips the bookkeeping). */
  get active(): boolean {
    const o = this.options;
    return o.producerByteRate !== undefined || o.consumerByteRate !== undefined || Object.keys(o.clients ?? {}).length > 0;
  }

  /** Throttle time (ms) after a produce request of `bytes` by `clientId`. */
  recordProduce(clientId: string, bytes: number): number {
    return this.sensor(this.produce, clientId, 'producerByteRate')?.record(bytes, this.now()) ?? 0;
  }

  /** Throttle time (ms) after a fetch response of `bytes` to `clientId`. */
  recordFetch(clientId: string, bytes: number): number {
    return this.sensor(this.fetch, clientId, 'consumerByteRate')?.record(bytes, this.now()) ?? 0;
  }

  private sensor(map: Map<string, ByteRateSensor | null>, clientId: string, key: keyof ByteRates): ByteRateSensor | null {
    let s = map.get(clientId);
    if (s === undefined) {
      const perClient = this.options.clients?.[clientId];
      const quota = perClient !== undefined ? perClient[key] : this.options[key];
      s = quota === undefined ? null : new ByteRateSensor(quota, this.windowMs, this.windowCount);
      map.set(clientId, s);
    }
    return s;
  }
}
