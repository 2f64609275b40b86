import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = fileURLToPath(new URL('./assets/', import.meta.url));

/** Every file the page loads, served from the package itself: the page, its script and style, and uPlot from node_modules. */
const FILES: Record<string, { file: () => string; type: string }> = {
  '/': { file: () => `${here}index.html`, type: 'text/html; charset=utf-8' },
  '/index.html': { file: () => `${here}index.html`, type: 'text/html; charset=utf-8' },
  '/assets/dashboard.js': { file: () => `${here}dashboard.js`, type: 'text/javascript; charset=utf-8' },
  '/assets/dashboard.css': { file: () => `${here}dashboard.css`, type: 'text/css; charset=utf-8' },
  '/assets/uPlot.iife.min.js': { file: () => require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  '/assets/uPlot.min.css': { file: () => require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

const cache = new Map<string, Buffer>();

/** The asset at a URL path, or undefined. Read once, then kept in memory. */
export async function assetFor(path: string): Promise<{ body: Buffer; type: string } | undefined> {
  const f = FILES[path];
  if (!f) return undefined;
  let body = cache.get(path);
  if (!body) {
    body = await readFile(f.file());
    cache.set(path, body);
  }
  return { body, type: f.type };
}
