/**
 * `npm run bench -- nexmark [--query q5|all] [--events N] [--source log|generator] [--rate N] [--json]`:
 * the same as `tributary bench nexmark` (src/cli/commands/bench.ts).
 */
import { main as cli } from '../src/cli/main.js';

export async function main(args: string[]): Promise<void> {
  process.exitCode = await cli(['bench', 'nexmark', ...args]);
}
