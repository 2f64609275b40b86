import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Kafka's meta.properties: the cluster id of this data directory, kept across restarts. */
export const META_FILE = 'meta.properties';

export function readOrCreateClusterId(dataDir: string, nodeId: number): string {
  const path = join(dataDir, META_FILE);
  if (existsSync(path)) {
    const match = /^cluster\.id=(\S+)$/m.exec(readFileSync(path, 'utf8'));
    if (match !== null) return match[1]!;
  }
  const clusterId = Buffer.from(randomUUID().replaceAll('-', ''), 'hex').toString('base64url');
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `#Written by tributary broker\ncluster.id=${clusterId}\nnode.id=${nodeId}\nversion=1\n`);
  renameSync(tmp, path);
  return clusterId;
}
