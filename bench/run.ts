/**
 * Bench dispatcher: `npm run bench -- <name> [args]` runs bench/<name>.ts with `args`.
 *
 * A bench module either exports `main(args: string[]): Promise<void>` (preferred: it is called with
 * the arguments after the name), or does its work at import time reading process.argv.slice(2),
 * which is set to the same arguments. With --json a bench prints exactly one JSON object on stdout
 * (see docs/DESIGN.md); progress goes to stderr.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function available(): string[] {
  return readdirSync(here)
    .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.endsWith('.d.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

const [name, ...args] = process.argv.slice(2);
if (name === undefined || name === '--help' || name === '-h') {
  process.stderr.write(`usage: npm run bench -- <name> [args]\nbenches: ${available().join(', ')}\n`);
  process.exit(name === undefined ? 1 : 0);
}
if (!/^[a-z0-9][a-z0-9_-]*$/i.test(name) || !existsSync(join(here, `${name}.ts`))) {
  process.stderr.write(`unknown bench "${name}"; benches: ${available().join(', ')}\n`);
  process.exit(1);
}
process.argv = [process.argv[0]!, join(here, `${name}.ts`), ...args];
const mod = (await import(pathToFileURL(join(here, `${name}.ts`)).href)) as { main?: (args: string[]) => Promise<void> };
if (typeof mod.main === 'function') await mod.main(args);
