import { compress as zstdCompressSimple } from 'zstd-napi';
import binding from 'zstd-napi/binding.js';

/**
 * zstd through zstd-napi (native libzstd). zstd-napi's own decompress() trusts the frame header's
 * content size and allocates it up front, and when the size is absent (Java's zstd-jni streams
 * never write it) it grows without a bound; both are unsafe for bytes from the network, so
 * decompression here runs the streaming API itself with a cap.
 */
export function zstdCompress(data: Buffer, level?: number): Buffer {
  return level === undefined ? zstdCompressSimple(data) : zstdCompressSimple(data, { compressionLevel: level });
}

let dctx: InstanceType<typeof binding.DCtx> | undefined;
const CHUNK = 128 * 1024;

export function zstdDecompress(data: Buffer, maxSize: number): Buffer {
  dctx ??= new binding.DCtx();
  // A fresh session for every call: an earlier call that threw may have left a frame half-read.
  dctx.reset(binding.ResetDirective.sessionOnly);
  // Fast path: one frame that states its size (librdkafka and zstd-napi write it) decodes in one call.
  const declared = binding.getFrameContentSize(data);
  if (declared !== null && declared <= maxSize && binding.findFrameCompressedSize(data) === data.length) {
    const out = Buffer.allocUnsafe(declared);
    const n = dctx.decompress(out, data);
    if (n !== declared) throw new Error(`zstd frame declared ${declared} bytes but held ${n}`);
    return out;
  }
  const chunks: Buffer[] = [];
  let total = 0;
  let input = data.subarray(0);
  let pending = 1;
  while (input.length > 0 || pending > 0) {
    const room = Math.min(Math.max(CHUNK, input.length * 4), maxSize - total + 1);
    const out = Buffer.allocUnsafe(room);
    const [left, produced, consumed] = dctx.decompressStream(out, input);
    if (produced === 0 && consumed === 0) {
      if (input.length === 0) throw new Error('zstd frame is truncated');
      throw new Error('zstd decoder made no progress');
    }
    total += produced;
    if (total > maxSize) throw new RangeError(`zstd output exceeds the limit of ${maxSize} bytes`);
    if (produced > 0) chunks.push(out.subarray(0, produced));
    input = input.subarray(consumed);
    pending = left;
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}
