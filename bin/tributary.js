#!/usr/bin/env node
// The CLI runs the TypeScript sources through tsx, so `tributary run app.ts` and the commands
// themselves need no build step. tsx's ESM hook is registered once, before anything of ours loads.
import { register } from 'tsx/esm/api';

register();
// A reader that stops early (`tributary topics list | head`) closes the pipe: the output ends there,
// as with any Unix tool, instead of an unhandled EPIPE and its stack trace.
process.stdout.on('error', (e) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(process.exitCode ?? 0);
});
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
