import { readFileSync } from 'node:fs';
import { writeFileAtomic, writeFileAtomicSync } from './atomic-file.js';
import { errnoOf } from './io.js';

/**
 * Kafka's offset checkpoint file format (recovery-point-offset-checkpoint):
 *
 *   0                       version
 *   2                       number of entries
 *   orders 0 1234           topic partition offset
 *   orders 1 77
 *
 * Keys here are `topic` + partition; a malformed file reads as empty, which only costs a longer
 * recovery (every segment is then checked), never correctness.
 */
export type OffsetCheckpoint = Map<string, number>;

export function checkpointKey(topic: string, partition: number): string {
  return `${topic} ${partition}`;
}

export function readOffsetCheckpoint(path: string): { entries: OffsetCheckpoint; problem?: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return { entries: new Map() };
    throw e;
  }
  const lines = text.split('\n').filter((l) => l !== '');
  const entries: OffsetCheckpoint = new Map();
  if (lines[0] !== '0') return { entries, problem: `unknown checkpoint version ${JSON.stringify(lines[0])}` };
  const count = Number(lines[1]);
  if (!Number.isSafeInteger(count) || count !== lines.length - 2) return { entries, problem: 'checkpoint entry count does not match' };
  for (let i = 2; i < lines.length; i++) {
    const parts = lines[i]!.split(' ');
    const partition = Number(parts[1]);
    const offset = Number(parts[2]);
    if (parts.length !== 3 || !Number.isSafeInteger(partition) || !Number.isSafeInteger(offset) || offset < 0) {
      return { entries: new Map(), problem: `malformed checkpoint line ${JSON.stringify(lines[i])}` };
    }
    entries.set(checkpointKey(parts[0]!, partition), offset);
  }
  return { entries };
}

function format(entries: OffsetCheckpoint): string {
  const lines = ['0', String(entries.size)];
  for (const [key, offset] of entries) lines.push(`${key} ${offset}`);
  return lines.join('\n') + '\n';
}

export function writeOffsetCheckpoint(path: string, entries: OffsetCheckpoint): Promise<void> {
  return writeFileAtomic(path, format(entries));
}

export function writeOffsetCheckpointSync(path: string, entries: OffsetCheckpoint): void {
  writeFileAtomicSync(path, format(entries));
}
