import type { KeyValueStore } from '../../state/kv-store.js';
import { readTimestamp, writeTimestamp } from '../../state/bytes.js';
import type { RecordHeader } from '../../records/record.js';
import type { StoreKeyCodec } from '../codec.js';
import type { KeyedState, ProcessorContext, ProcessorLike, ProcessorRecord, ProcessorSupplier, Timers } from '../processor.js';
import { Rec } from '../records.js';
import { TimerQueue } from '../timers.js';
import { KeyedStateBackend } from './keyed-state.js';
import { Operator, type OperatorContext } from './operator.js';

type Domain = 'event' | 'processing';
const DOMAIN_BYTE: Record<Domain, number> = { event: 0x65, processing: 0x70 };

/**
 * Runs a user Processor (see processor.ts for the lifecycle). Keyed state lives in
 * `<name>-state`, timers in `<name>-timers` as `[domain][time][key]`, so both survive restores;
 * the in-memory timer queues (user timers, and TTL purges) are rebuilt from the stores in open().
 */
export class ProcessOperator extends Operator implements Timers {
  private processor!: ProcessorLike<unknown, unknown, unknown, unknown>;
  private timerStore!: KeyValueStore;
  /** @internal */ backend!: KeyedStateBackend;
  private readonly timerQueues: Record<Domain, TimerQueue> = { event: new TimerQueue(), processing: new TimerQueue() };
  private readonly ttlQueues: Record<Domain, TimerQueue> = { event: new TimerQueue(), processing: new TimerQueue() };
  private pctx!: Context;
  /** @internal */ current: Rec | undefined;
  private currentKeyBytes: Buffer = Buffer.alloc(0);
  /** @internal */ key: unknown = undefined;
  /** @internal */ timestamp = 0;

  constructor(
    name: string,
    private readonly supplier: ProcessorSupplier<unknown, unknown, unknown, unknown>,
    private readonly keyCodec: StoreKeyCodec,
  ) {
    super(name);
  }

  /** @internal */ emit(key: unknown, value: unknown, options?: { timestamp?: number; headers?: readonly RecordHeader[] }): void {
    const cur = this.current;
    this.forward(
      new Rec(
        key,
        value,
        options?.timestamp ?? this.timestamp,
        options?.headers ?? cur?.headers ?? Rec.NO_HEADERS,
        cur ? cur.stamp : this.ctx.generatedStamp(),
        cur?.origin,
      ),
    );
  }

  /** @internal */ operatorWatermark(): number {
    return this.watermark();
  }

  /** @internal */ get operatorContext(): OperatorContext {
    return this.ctx;
  }

  registerEventTime(time: number): void {
    this.register('event', time);
  }
  registerProcessingTime(time: number): void {
    this.register('processing', time);
  }
  deleteEventTime(time: number): void {
    this.unregister('event', time);
  }
  deleteProcessingTime(time: number): void {
    this.unregister('processing', time);
  }

  // --- Operator --------------------------------------------------------------------------------

  override open(): void {
    this.timerStore = this.ctx.store(`${this.name}-timers`);
    this.backend = new KeyedStateBackend(this.ctx.store(`${this.name}-state`), {
      writeTime: (d) => (d === 'event' ? this.timestamp : this.ctx.wallClock),
      now: (d) => (d === 'event' ? this.watermark() : this.ctx.wallClock),
      expires: (d, at, sk) => {
        this.ttlQueues[d].add(at, sk.toString('latin1'));
        this.request(d, at);
      },
    });
    this.processor = this.supplier();
    this.pctx = new Context(this);
    this.processor.init?.(this.pctx);
    for (const e of this.backend.ttlEntries()) this.ttlQueues[e.domain].add(e.at, e.storeKey.toString('latin1'));
    for (const e of this.timerStore.all()) {
      const domain: Domain = e.key[0] === DOMAIN_BYTE.event ? 'event' : 'processing';
      this.timerQueues[domain].add(readTimestamp(e.key, 1), e.key.toString('latin1'));
    }
  }

  process(rec: Rec): void {
    const kb = this.keyCodec.encode(rec.key);
    if (this.poisoned(rec, kb)) return;
    this.setKey(rec.key, kb);
    this.current = rec;
    this.timestamp = rec.timestamp;
    try {
      this.processor.process(rec as ProcessorRecord<unknown, unknown>, this.pctx);
    } catch (e) {
      // The processor may have changed held state objects, set states, forwarded or registered
      // timers before it threw: the task rolls back to its last commit (poison.ts).
      this.userCodeFailed(rec, e, kb, true);
    } finally {
      this.current = undefined;
    }
  }

  override nextEventTime(): number {
    return Math.min(this.timerQueues.event.next, this.ttlQueues.event.next);
  }

  override nextProcessingTime(): number {
    return Math.min(this.timerQueues.processing.next, this.ttlQueues.processing.next);
  }

  override onEventTime(watermark: number): void {
    this.fire('event', watermark);
  }

  override onProcessingTime(now: number): void {
    this.fire('processing', now);
  }

  /** Value and list states changed since the last commit go to the store now (keyed-state.ts's cache). */
  override flushState(): void {
    this.backend?.flush();
  }

  override onBatchEnd(): void {
    this.backend?.shrink();
  }

  override close(): void {
    this.processor?.close?.();
  }

  // --------------------------------------------------------------------------------------------

  private fire(domain: Domain, now: number): void {
    // TTL purges first: a timer firing at the same time sees the state as expired, as a read would.
    for (let due = this.ttlQueues[domain].popDue(now); due; due = this.ttlQueues[domain].popDue(now)) {
      for (const item of due.items) this.backend.purge(Buffer.from(item, 'latin1'));
    }
    const q = this.timerQueues[domain];
    for (let due = q.popDue(now); due; due = q.popDue(now)) {
      for (const item of due.items) {
        const sk = Buffer.from(item, 'latin1');
        if (this.timerStore.get(sk) === undefined) continue;
        this.timerStore.delete(sk);
        const kb = sk.subarray(9);
        const key = this.keyCodec.decode(kb);
        this.setKey(key, kb);
        this.timestamp = due.time;
        // A timer is named by its domain, key and time (poison.ts): the replay fires it again.
        if (this.ctx.poison !== undefined && this.poisoned(this.timerRec(key, due.time), timerId(domain, kb))) continue;
        try {
          this.processor.onTimer?.({ time: due.time, domain }, this.pctx);
        } catch (e) {
          this.userCodeFailed(this.timerRec(key, due.time), e, timerId(domain, kb), true);
        }
      }
    }
  }

  /** A timer as a record (for the dead-letter topic). */
  private timerRec(key: unknown, time: number): Rec {
    return new Rec(key, null, time, Rec.NO_HEADERS, this.ctx.generatedStamp(), undefined);
  }

  private setKey(key: unknown, kb: Buffer): void {
    this.key = key;
    this.currentKeyBytes = kb;
    this.backend.currentKey = kb;
  }

  private timerKey(domain: Domain, time: number): Buffer {
    const kb = this.currentKeyBytes;
    const out = Buffer.allocUnsafe(9 + kb.length);
    out[0] = DOMAIN_BYTE[domain];
    writeTimestamp(out, 1, time);
    out.set(kb, 9);
    return out;
  }

  private register(domain: Domain, time: number): void {
    const sk = this.timerKey(domain, time);
    if (this.timerStore.get(sk) !== undefined) return;
    this.timerStore.put(sk, Buffer.alloc(0));
    this.timerQueues[domain].add(time, sk.toString('latin1'));
    this.request(domain, time);
  }

  private unregister(domain: Domain, time: number): void {
    const sk = this.timerKey(domain, time);
    this.timerStore.delete(sk);
    this.timerQueues[domain].remove(time, sk.toString('latin1'));
  }

  private request(domain: Domain, time: number): void {
    if (domain === 'event') this.ctx.requestEventTime(time);
    else this.ctx.requestProcessingTime(time);
  }
}

function timerId(domain: Domain, kb: Buffer): string {
  return `${domain}:${kb.toString('latin1')}`;
}

/** What a processor sees of its operator: the ProcessorContext, nothing of the engine. */
class Context implements ProcessorContext<unknown, unknown, unknown> {
  constructor(private readonly op: ProcessOperator) {}
  get key(): unknown {
    return this.op.key;
  }
  get timestamp(): number {
    return this.op.timestamp;
  }
  get watermark(): number {
    return this.op.operatorWatermark();
  }
  get wallClock(): number {
    return this.op.operatorContext.wallClock;
  }
  get taskId(): string {
    return this.op.operatorContext.taskId;
  }
  get partition(): number {
    return this.op.operatorContext.partition;
  }
  get state(): KeyedState {
    return this.op.backend;
  }
  get timers(): Timers {
    return this.op;
  }
  forward(key: unknown, value: unknown, options?: { timestamp?: number; headers?: readonly RecordHeader[] }): void {
    this.op.emit(key, value, options);
  }
}
