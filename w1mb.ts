import { JsonEventBatch, NexmarkGenerator } from './bench/nexmark/generator.js';
const mod = process.argv[2]!;
const { decodeEventJson } = (await import(mod)) as typeof import('./bench/nexmark/event-json.js');
const gen = new NexmarkGenerator({ numEvents: 200000 });
const batch = new JsonEventBatch(1000);
// one big buffer with subarrays, like the log's batches
const parts: Buffer[] = [];
while (gen.fillJson(batch) > 0) for (let i=0;i<batch.count;i++) parts.push(Buffer.from(batch.value(i)));
const big = Buffer.concat(parts); const views: Buffer[] = []; let at=0; for (const p of parts){ views.push(big.subarray(at, at+p.length)); at+=p.length; }
let sink = 0;
for (let r=0;r<14;r++){ const c0=process.cpuUsage(); for (const v of views){ const e=decodeEventJson(v); sink+= e.type==='bid'? e.extra.length : 1; } const c=process.cpuUsage(c0); if(r>1) console.log(mod.split('/').pop(), ((c.user+c.system)*1000/views.length).toFixed(0),'ns/event'); }
console.log(sink);
