import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CliProcess } from '../cli/run-cli-process.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

interface ChartView {
  points: number;
  lastT: number;
  lastIn: number | null;
  statIn: string;
}

/** What the page's script exposes, and the little of the DOM the checks use; inside page.evaluate, globalThis is the page's window. */
interface PageGlobals {
  tributaryDashboard: { samples: unknown[]; charts: Record<string, { data: Array<Array<number | null>> } | undefined> };
  document: {
    getElementById(id: string): { textContent: string | null } | null;
  };
}

test(
  'the dashboard page in headless Chromium shows the demo\'s topology and live charts that move',
  { timeout: 240_000, skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (.ci/run installs it)` },
  async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    const demo = new CliProcess(['demo', '--rate', '1000', '--duration', '200s', '--ui-port', '0']);
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    try {
      await demo.waitForStderr(/Tributary dashboard on (http:\/\/\S+\/)/);
      const url = /Tributary dashboard on (http:\/\/\S+\/)/.exec(demo.stderr)![1]!;
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
      });
      page.on('response', (r) => {
        if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
      });
      page.on('requestfailed', (r) => {
        // The event stream is cut when the page closes; anything else failing is a bug.
        if (!r.url().endsWith('/api/events')) problems.push(`request failed: ${r.url()}`);
      });
      page.setDefaultTimeout(90_000);
      await page.goto(url);

      // The topology: every node of /api/topology drawn, the source topic and the repartition edges among them.
      const topology = (await (await fetch(new URL('/api/topology', url))).json()) as { nodes: Array<{ name: string }>; edges: Array<{ via?: string }> };
      await page.waitForSelector('#topology-svg g[data-node="clicks"]');
      const drawn = await page.$$eval('#topology-svg g[data-node]', (els) => els.map((e) => e.getAttribute('data-node')));
      assert.deepEqual(drawn.sort(), topology.nodes.map((n) => n.name).sort());
      assert.equal(await page.locator('#topology-svg path.edge.via').count(), topology.edges.filter((e) => e.via).length);
      assert.ok(topology.edges.some((e) => e.via), 'the demo repartitions');
      assert.match((await page.textContent('#title')) ?? '', /tributary-demo/);

      // The charts move: read them, wait for later samples, read again.
      const read = (): Promise<ChartView> =>
        page.evaluate(() => {
          const g = globalThis as unknown as PageGlobals;
          const c = g.tributaryDashboard.charts.throughput!;
          const xs = c.data[0]!;
          return { points: xs.length, lastT: xs[xs.length - 1] as number, lastIn: c.data[1]![xs.length - 1] ?? null, statIn: g.document.getElementById('stat-in')!.textContent ?? '' };
        });
      await page.waitForFunction(() => {
        const c = (globalThis as unknown as PageGlobals).tributaryDashboard.charts.throughput;
        return c !== undefined && c.data[0]!.length >= 3 && (c.data[1]![c.data[1]!.length - 1] ?? 0) > 0;
      });
      const first = await read();
      await page.waitForFunction((t) => {
        const xs = (globalThis as unknown as PageGlobals).tributaryDashboard.charts.throughput!.data[0]!;
        return (xs[xs.length - 1] as number) >= t + 2;
      }, first.lastT);
      const second = await read();
      assert.ok(second.lastT > first.lastT, 'newer points on the throughput chart');
      assert.ok(second.points > first.points || second.points === 300, 'more points (until the history is full)');
      assert.notEqual(second.statIn, first.statIn, 'the records-in figure changes');
      assert.ok((second.lastIn ?? 0) > 0, 'records are flowing');
      const series = (k: string) => page.evaluate((key) => (globalThis as unknown as PageGlobals).tributaryDashboard.charts[key]?.data.map((d) => d.length) ?? [], k);
      for (const chart of ['latency', 'lag', 'watermark', 'state']) assert.ok(((await series(chart))[0] ?? 0) > 0, `${chart} chart drawn`);
      assert.equal((await series('lag')).length, 1 + 4, 'a lag series per clicks partition');
      assert.equal((await series('watermark')).length, 1 + 16, 'a watermark-lag series per task');
      assert.equal(await page.locator('#chart-lag canvas').count(), 1);
      await page.waitForSelector('#tasks tbody tr');
      assert.equal(await page.locator('#tasks tbody tr').count(), 16);
      await page.screenshot({ path: `${ARTIFACTS}dashboard-overview.png`, fullPage: true });

      // The log view: the demo's topics with offsets, and its group.
      await page.click('nav a[data-tab="broker"]');
      await page.waitForSelector('#topics tbody tr');
      const topics = await page.$$eval('#topics tbody tr td:first-child', (els) => [...new Set(els.map((e) => e.textContent))]);
      assert.ok(topics.includes('clicks') && topics.includes('page-views'), topics.join(','));
      await page.waitForSelector('#groups tbody tr');
      assert.match((await page.textContent('#groups tbody')) ?? '', /tributary-demo/);
      await page.screenshot({ path: `${ARTIFACTS}dashboard-log.png`, fullPage: true });

      // An interactive query from the page.
      await page.click('nav a[data-tab="state"]');
      await page.waitForSelector('#query-store option[value="trending-aggregate"]', { state: 'attached' });
      await page.selectOption('#query-store', 'trending-aggregate');
      await page.fill('#query-key', 'site');
      // The trending windows may not exist yet at the first query: ask again until one is there.
      for (let asked = 1; ; asked++) {
        await page.click('#query button');
        await page.waitForSelector(`#query-result[data-answered="${asked}"]`, { state: 'attached' });
        if ((await page.locator('#query-result tbody tr').count()) > 0) break;
      }
      const firstRow = await page.$$eval('#query-result tbody tr:first-child td', (els) => els.map((e) => e.textContent));
      assert.equal(firstRow[0], 'site');
      assert.match(firstRow[2] ?? '', /^\{".*\d\}$/);
      await page.screenshot({ path: `${ARTIFACTS}dashboard-state.png`, fullPage: true });

      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
      demo.kill('SIGINT');
      await demo.exited;
    }
  },
);
