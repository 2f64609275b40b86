import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { HttpConnector } from '../../../src/connectors/http/index.js';
import { withLog } from '../files/support.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

test('a browser dashboard: EventSource and WebSocket receive the records POSTed to a topic', { skip: existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}` }, () =>
  withLog(async (log) => {
    await log.createTopics([{ name: 'alerts', partitions: 2 }]);
    const c = new HttpConnector({ log });
    await c.start();
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage();
      await page.goto(`${c.url}/topics/alerts`).catch(() => {}); // any page of the server: same origin
      await fetch(`${c.url}/topics/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ level: 'warn', n: 1 }, { level: 'crit', n: 2 }]) });
      // Browser code as text: this project's TypeScript has no DOM types.
      const viaSse = page.evaluate(`new Promise((resolve) => {
        const got = [];
        const es = new EventSource('/topics/alerts/events?from=earliest');
        es.addEventListener('record', (m) => {
          got.push({ id: m.lastEventId, n: JSON.parse(m.data).value.n });
          if (got.length === 3) { es.close(); resolve(got); }
        });
      })`) as Promise<Array<{ id: string; n: number }>>;
      const viaWs = page.evaluate(`new Promise((resolve) => {
        const got = [];
        const ws = new WebSocket('ws://' + location.host + '/topics/alerts/ws?from=earliest');
        ws.onmessage = (m) => {
          got.push(JSON.parse(m.data).value.n);
          if (got.length === 3) { ws.close(); resolve(got); }
        };
      })`) as Promise<number[]>;
      // The third record arrives while both are subscribed.
      while (c.stats.subscribers < 2) await new Promise((r) => setTimeout(r, 10));
      await fetch(`${c.url}/topics/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ level: 'ok', n: 3 }) });
      const sse = await viaSse;
      assert.deepEqual(sse.map((e) => e.n).sort(), [1, 2, 3]);
      for (const e of sse) assert.match(e.id, /^0:\d+,1:\d+$/);
      assert.deepEqual((await viaWs).sort(), [1, 2, 3]);
    } finally {
      await browser.close();
      await c.close();
    }
  }),
);
