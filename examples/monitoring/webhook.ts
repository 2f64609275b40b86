import { setTimeout as sleep } from 'node:timers/promises';
import type { Alert, Delivery } from './events.js';

/** The webhook did not accept an alert after every attempt (the alert goes to the dead-letter topic). */
export class WebhookError extends Error {
  readonly code = 'WEBHOOK_FAILED';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WebhookError';
  }
}

export interface WebhookOptions {
  readonly url: string;
  /** Attempts per alert (network errors and 5xx are retried; 4xx is final). Default 3. */
  readonly attempts?: number;
  /** First retry delay, doubled per retry; default 200 ms. */
  readonly backoffMs?: number;
  /** Per attempt; default 5 s. */
  readonly timeoutMs?: number;
}

/**
 * An HTTP POST per alert, JSON body, with `<alert id>:<state>` as `Idempotency-Key`: after a crash the
 * app replays uncommitted work, so a receiver may see an alert twice and should drop repeats by id.
 */
export function webhookSender(o: WebhookOptions): (alert: Alert) => Promise<Delivery> {
  const attempts = o.attempts ?? 3;
  return async (alert) => {
    let last: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const res = await fetch(o.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': `${alert.id}:${alert.state}` },
          body: JSON.stringify(alert),
          signal: AbortSignal.timeout(o.timeoutMs ?? 5_000),
        });
        await res.arrayBuffer();
        if (res.ok) return { id: alert.id, state: alert.state, status: res.status, attempts: attempt };
        last = new WebhookError(`webhook answered ${res.status}`);
        if (res.status < 500) break;
      } catch (e) {
        last = e;
      }
      if (attempt < attempts) await sleep((o.backoffMs ?? 200) * 2 ** (attempt - 1));
    }
    throw last instanceof WebhookError ? last : new WebhookError(`webhook ${o.url} failed: ${String(last)}`, { cause: last });
  };
}
