import { JsonEventBatch, NexmarkGenerator } from './bench/nexmark/generator.js';
const gen = new NexmarkGenerator({ numEvents: 200000 });
const batch = new JsonEventBatch(1000);
const parts: Buffer[] = [];
while (gen.fillJson(batch) > 0) for (let i=0;i<batch.count;i++) parts.push(Buffer.from(batch.value(i)));
const big = Buffer.concat(parts); const views: Buffer[] = []; let at=0; for (const p of parts){ views.push(big.subarray(at, at+p.length)); at+=p.length; }
const IN = new Uint8Array(256).fill(3); for (let c=0x20;c<0x80;c++) IN[c]=0;
const w32 = new Int32Array(big.buffer, 0, big.buffer.byteLength>>2);
function bytes(b: Buffer): boolean { for (let p=0;p<b.length;p++) if (IN[b[p]!]===3) return false; return true; }
function bytes2(b: Buffer): boolean { let acc=0; for (let p=0;p<b.length;p++) acc|=IN[b[p]!]!; return acc!==3; }
function words(b: Buffer): boolean { const base=b.byteOffset; const n=b.length; let p=0; for (; p<n && ((base+p)&3)!==0; p++) if (IN[b[p]!]===3) return false; const end=(base+n)>>2; let acc=0; for (let wi=(base+p)>>2; wi<end; wi++){ const w=w32[wi]!; acc |= w | (((w - 0x20202020)|0) & ~w);} if ((acc & 0x80808080)!==0) return false; for (p=(end<<2)-base;p<n;p++) if (IN[b[p]!]===3) return false; return true; }
function idx(b: Buffer): number { return b.indexOf(34, 100) + b.indexOf(92, 30) + b.indexOf(34, 200); }
function sl(b: Buffer): number { return (b as any).latin1Slice(30, 100).length + (b as any).latin1Slice(150, 220).length; }
const fns: Record<string,(b:Buffer)=>unknown> = { bytes, bytes2, words, idx, sl };
for (const [name, f] of Object.entries(fns)) { let best=1e9; let s=0; for (let r=0;r<8;r++){ const t=process.hrtime.bigint(); for (const v of views) if (f(v)) s++; best=Math.min(best, Number(process.hrtime.bigint()-t)/views.length);} console.log(name, best.toFixed(0), 'ns', s); }
