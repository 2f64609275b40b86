import { apiSpec } from '../protocol/index.js';
import type { ApiVersionRange } from './context.js';
import type { AnyHandler } from './handler.js';

/**
 * The api key -> handler table, and the versions served: each handler's range clipped to what the
 * generated codecs support (their highest stable version).
 */
export class Dispatcher {
  private readonly handlers: (AnyHandler | undefined)[] = [];
  private readonly ranges: (ApiVersionRange | undefined)[] = [];
  private readonly list: ApiVersionRange[] = [];

  constructor(handlers: readonly AnyHandler[], options: { exclude?: ReadonlySet<number> } = {}) {
    for (const h of handlers) {
      if (options.exclude?.has(h.apiKey)) continue;
      const spec = apiSpec(h.apiKey);
      if (spec === undefined) throw new Error(`no codec for api key ${h.apiKey}`);
      const minVersion = Math.max(spec.minVersion, h.minVersion ?? 0);
      const maxVersion = Math.min(spec.maxStableVersion, h.maxVersion ?? Infinity);
      if (this.handlers[h.apiKey] !== undefined) throw new Error(`two handlers for api key ${h.apiKey}`);
      this.handlers[h.apiKey] = h;
      const range = { apiKey: h.apiKey, minVersion, maxVersion };
      this.ranges[h.apiKey] = range;
      this.list.push(range);
    }
    this.list.sort((a, b) => a.apiKey - b.apiKey);
  }

  /** The handler for a request, or undefined when the api key or version is not served. */
  handlerFor(apiKey: number, apiVersion: number): AnyHandler | undefined {
    const range = this.range(apiKey);
    if (range === undefined || apiVersion < range.minVersion || apiVersion > range.maxVersion) return undefined;
    return this.handlers[apiKey];
  }

  range(apiKey: number): ApiVersionRange | undefined {
    return apiKey >= 0 ? this.ranges[apiKey] : undefined;
  }

  apiVersions(): readonly ApiVersionRange[] {
    return this.list;
  }
}
