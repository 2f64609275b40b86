import { join } from 'node:path';

/**
 * Names on disk, as Kafka spells them:
 *
 *   <dataDir>/<topic>-<partition>/00000000000000000000.log        batches as written
 *                                00000000000000000000.index      sparse offset -> file position
 *                                00000000000000000000.timeindex  sparse max timestamp -> offset
 *                                00000000000000000000.txnindex   aborted transactions whose abort
 *                                                                marker is in this segment (only
 *                                                                when there are any)
 *                                00000000000000001234.snapshot   producer state as of offset 1234
 *
 * plus the cleaner's transient suffixes: `.cleaned` (being written), `.swap` (complete, about to
 * replace the originals) and `.deleted` (replaced or expired, about to be unlinked).
 */
export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
export const TXN_INDEX_SUFFIX = '.txnindex';
export const SNAPSHOT_SUFFIX = '.snapshot';
export const CLEANED_SUFFIX = '.cleaned';
export const SWAP_SUFFIX = '.swap';
export const DELETED_SUFFIX = '.deleted';
/** A partition directory renamed by deleteTopic, removed in the background or at the next open. */
export const DELETE_DIR_SUFFIX = '-delete';

export type SegmentFileKind = 'log' | 'index' | 'timeindex' | 'txnindex';
export type SegmentFileState = '' | typeof CLEANED_SUFFIX | typeof SWAP_SUFFIX | typeof DELETED_SUFFIX;

const KIND_SUFFIX: { readonly [K in SegmentFileKind]: string } = {
  log: LOG_SUFFIX,
  index: INDEX_SUFFIX,
  timeindex: TIME_INDEX_SUFFIX,
  txnindex: TXN_INDEX_SUFFIX,
};

/** 20 digits, zero-padded, so `ls` order is offset order. */
export function offsetFileName(offset: number): string {
  return String(offset).padStart(20, '0');
}

export function segmentFileName(baseOffset: number, kind: SegmentFileKind, state: SegmentFileState = ''): string {
  return offsetFileName(baseOffset) + KIND_SUFFIX[kind] + state;
}

export function segmentFilePath(dir: string, baseOffset: number, kind: SegmentFileKind, state: SegmentFileState = ''): string {
  return join(dir, segmentFileName(baseOffset, kind, state));
}

export interface ParsedSegmentFile {
  baseOffset: number;
  kind: SegmentFileKind;
  state: SegmentFileState;
}

const SEGMENT_FILE = /^(\d{20})\.(log|index|timeindex|txnindex)(\.cleaned|\.swap|\.deleted)?$/;

export function parseSegmentFileName(name: string): ParsedSegmentFile | null {
  const m = SEGMENT_FILE.exec(name);
  if (m === null) return null;
  const baseOffset = Number(m[1]);
  if (!Number.isSafeInteger(baseOffset)) return null;
  return { baseOffset, kind: m[2] as SegmentFileKind, state: (m[3] ?? '') as SegmentFileState };
}

export function snapshotFileName(offset: number): string {
  return offsetFileName(offset) + SNAPSHOT_SUFFIX;
}

const SNAPSHOT_FILE = /^(\d{20})\.snapshot$/;

/** The offset of a `<offset>.snapshot` file name; null for any other name. */
export function parseSnapshotFileName(name: string): number | null {
  const m = SNAPSHOT_FILE.exec(name);
  if (m === null) return null;
  const offset = Number(m[1]);
  return Number.isSafeInteger(offset) ? offset : null;
}

export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/** Topic names may contain '-', so the partition is what follows the last one. */
export function parsePartitionDirName(name: string): { topic: string; partition: number } | null {
  const m = /^(.+)-(\d+)$/.exec(name);
  if (m === null) return null;
  const partition = Number(m[2]);
  if (!Number.isSafeInteger(partition)) return null;
  return { topic: m[1]!, partition };
}
