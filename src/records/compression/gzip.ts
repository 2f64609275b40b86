import { gunzipSync, gzipSync, constants } from 'node:zlib';

/**
 * gzip through node:zlib. Java producers write one gzip member via GZIPOutputStream; gunzip also
 * accepts several concatenated members, which some clients emit when they flush mid-batch.
 */
export function gzipCompress(data: Buffer, level: number = constants.Z_DEFAULT_COMPRESSION): Buffer {
  return gzipSync(data, { level });
}

/** `maxSize` caps the output so a small hostile batch cannot inflate into gigabytes. */
export function gzipDecompress(data: Buffer, maxSize: number): Buffer {
  return gunzipSync(data, { maxOutputLength: maxSize });
}
