#!/usr/bin/env node
// The CLI runs the TypeScript sources through tsx, so `tributary run app.ts` and the commands
// themselves need no build step. tsx's ESM hook is registered once, before anything of ours loads.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
