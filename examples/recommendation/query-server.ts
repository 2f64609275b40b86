import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LogConnector } from '../../src/index.js';
import { readTopic } from '../shared/log-io.js';
import { TOPICS, type Recommendations, type Trending } from './events.js';

/**
 * The query side: `GET /recommendations/<item>` answers with the items most viewed together with
 * it, plus the current trending list (a fallback for items nobody has co-viewed yet):
 *
 *   {"item":"item-42","viewedTogether":[{"item":"item-47","sessions":12},...],"trending":[{"item":"item-3","views":310},...]}
 *
 * It serves the app's output topics as tables: before each answer it reads what was committed
 * since the last request (the latest value per key wins), so it shows exactly what the app
 * committed — never a result of a transaction that was rolled back — and survives app restarts.
 * `GET /trending` returns the latest trending window. Unknown items get an empty list (200);
 * other paths 404.
 */
export class RecommendationServer {
  private readonly recommendations = new Map<string, Recommendations>();
  private trending: Trending | undefined;
  private readonly positions = new Map<string, Map<number, number>>();
  private server: Server | undefined;
  private catchingUp: Promise<void> | undefined;

  constructor(private readonly log: LogConnector) {}

  /** Listens on `port` (0: a free one) and resolves with the URL. */
  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    const server = createServer((req, res) => {
      this.answer(req.url ?? '/').then(
        ([status, body]) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
        (e: unknown) => res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(e) })),
      );
    });
    this.server = server;
    await new Promise<void>((r) => server.listen(port, host, r));
    return `http://${host}:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    await new Promise<void>((r) => {
      s.close(() => r());
      s.closeAllConnections();
    });
  }

  private async answer(url: string): Promise<[number, unknown]> {
    const path = decodeURIComponent(url.split('?')[0]!);
    const m = /^\/recommendations\/([^/]+)$/.exec(path);
    if (!m && path !== '/trending') return [404, { error: `no route ${path}: try /recommendations/<item> or /trending` }];
    await this.catchUp();
    const trending = this.trending?.top ?? [];
    if (!m) return [200, this.trending ?? null];
    const item = m[1]!;
    return [200, { item, viewedTogether: this.recommendations.get(item)?.viewedTogether ?? [], trending }];
  }

  /** Reads the output topics' new records; concurrent requests share one catch-up. */
  private catchUp(): Promise<void> {
    this.catchingUp ??= (async () => {
      try {
        for (const r of await readTopic(this.log, TOPICS.recommendations, this.position(TOPICS.recommendations))) {
          if (r.key !== null && r.value !== null) this.recommendations.set(r.key, JSON.parse(r.value) as Recommendations);
        }
        for (const r of await readTopic(this.log, TOPICS.trending, this.position(TOPICS.trending))) {
          const t = JSON.parse(r.value!) as Trending;
          if (!this.trending || t.end >= this.trending.end) this.trending = t;
        }
      } finally {
        this.catchingUp = undefined;
      }
    })();
    return this.catchingUp;
  }

  private position(topic: string): Map<number, number> {
    let p = this.positions.get(topic);
    if (!p) this.positions.set(topic, (p = new Map()));
    return p;
  }
}
