import { CorruptRecordError, TributaryError, UnsupportedCompressionError } from '../errors.js';
import { gzipCompress, gzipDecompress } from './gzip.js';
import { lz4Compress, lz4Decompress } from './lz4.js';
import { snappyCompress, snappyDecompress } from './snappy.js';
import { zstdCompress, zstdDecompress } from './zstd.js';

export { isXerialFramed } from './snappy.js';

/** The record-batch codecs, by the names Kafka's `compression.type` uses. */
export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** Codec id in the low 3 bits of a batch's attributes; the index is the id. */
export const COMPRESSION_CODECS: readonly Compression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

const IDS: { readonly [C in Compression]: number } = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };

/**
 * Default cap on what one batch may decompress to. Kafka has no such limit of its own, but a broker
 * that decompresses to validate must not let a 1 MB batch become several GB (a zstd or gzip bomb).
 */
export const DEFAULT_MAX_DECOMPRESSED_SIZE = 256 * 1024 * 1024;

export function compressionId(codec: Compression): number {
  const id = IDS[codec];
  if (id === undefined) throw new UnsupportedCompressionError(`unknown compression type ${String(codec)}`);
  return id;
}

export function compressionFromId(id: number): Compression {
  const codec = COMPRESSION_CODECS[id];
  if (codec === undefined) throw new UnsupportedCompressionError(`unknown compression codec id ${id}`);
  return codec;
}

export function isCompression(name: string): name is Compression {
  return Object.prototype.hasOwnProperty.call(IDS, name);
}

/**
 * Compresses synchronously. `level` is passed to gzip and zstd (the codecs with a level knob
 * worth setting); snappy and lz4 have none in these bindings. 'none' returns `data` itself.
 */
export function compress(codec: Compression | number, data: Buffer, level?: number): Buffer {
  const name = typeof codec === 'number' ? compressionFromId(codec) : codec;
  switch (name) {
    case 'none':
      return data;
    case 'gzip':
      return gzipCompress(data, level);
    case 'snappy':
      return snappyCompress(data);
    case 'lz4':
      return lz4Compress(data);
    case 'zstd':
      return zstdCompress(data, level);
    default:
      throw new UnsupportedCompressionError(`unknown compression type ${String(name)}`);
  }
}

/**
 * Decompresses synchronously. Any failure of the codec (bad magic, bad checksum, truncated data,
 * output over `maxSize`) becomes a CorruptRecordError with the library's error as `cause`.
 */
export function decompress(codec: Compression | number, data: Buffer, maxSize = DEFAULT_MAX_DECOMPRESSED_SIZE): Buffer {
  const name = typeof codec === 'number' ? compressionFromId(codec) : codec;
  if (name === 'none') return data;
  try {
    switch (name) {
      case 'gzip':
        return gzipDecompress(data, maxSize);
      case 'snappy':
        return snappyDecompress(data, maxSize);
      case 'lz4':
        return lz4Decompress(data, maxSize);
      case 'zstd':
        return zstdDecompress(data, maxSize);
      default:
        throw new UnsupportedCompressionError(`unknown compression type ${String(name)}`);
    }
  } catch (e) {
    if (e instanceof TributaryError) throw e;
    const why = e instanceof Error ? e.message : String(e);
    throw new CorruptRecordError(`cannot decompress ${data.length} bytes of ${name} data: ${why}`, { cause: e });
  }
}
