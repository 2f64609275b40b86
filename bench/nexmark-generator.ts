/**
 * `npm run bench -- nexmark-generator [--events N] [--repeat R] [--json]`: the Nexmark event
 * generator alone, in events per CPU-second (bench/nexmark/generator-speed.ts; issue 6's target).
 */
export { main } from './nexmark/generator-speed.js';
