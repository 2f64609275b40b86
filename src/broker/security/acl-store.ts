import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../../log/atomic-file.js';
import { filterMatches, sameBinding, validateBinding, type AclBinding, type AclFilter } from './acl.js';
import { SECURITY_DIR } from './credentials.js';
import { SecurityConfigError } from './errors.js';

export const ACLS_FILE = 'acls.json';

interface AclsFile {
  version: 1;
  acls: AclBinding[];
}

/** How long a broker trusts its copy of the ACL file before looking at its modification time again. */
const RECHECK_MS = 1000;

/**
 * The ACLs of a data directory, `<dataDir>/security/acls.json`, written atomically. A running broker
 * sees changes made by `tributary acls add|remove` within a second (it re-reads the file when its
 * modification time changes, looked at no more than once a second, so authorization stays a
 * lookup in memory).
 */
export class AclStore {
  private readonly path: string;
  private bindings: AclBinding[] = [];
  private loadedMtimeMs = -1;
  private checkedAt = -Infinity;
  /** Bumped on every change: the authorizer caches decisions per version. */
  version = 0;

  constructor(
    readonly dataDir: string,
    private readonly now: () => number = Date.now,
  ) {
    this.path = aclStorePath(dataDir);
    this.reload();
  }

  /** The bindings, re-read first if the file changed (checked at most once a second). */
  all(): readonly AclBinding[] {
    const t = this.now();
    if (t - this.checkedAt >= RECHECK_MS) {
      this.checkedAt = t;
      this.reload();
    }
    return this.bindings;
  }

  list(filter: AclFilter): AclBinding[] {
    this.reload();
    return this.bindings.filter((b) => filterMatches(filter, b));
  }

  /** Adds bindings (ones already there are kept once). Returns how many were new. */
  add(bindings: readonly AclBinding[]): number {
    for (const b of bindings) validateBinding(b);
    this.reload();
    let added = 0;
    for (const b of bindings) {
      if (this.bindings.some((x) => sameBinding(x, b))) continue;
      this.bindings.push({ ...b });
      added++;
    }
    if (added > 0) this.save();
    return added;
  }

  /** Removes the bindings each filter matches; returns them per filter. */
  remove(filters: readonly AclFilter[]): AclBinding[][] {
    this.reload();
    const removed = filters.map((f) => this.bindings.filter((b) => filterMatches(f, b)));
    const gone = new Set(removed.flat());
    if (gone.size > 0) {
      this.bindings = this.bindings.filter((b) => !gone.has(b));
      this.save();
    }
    return removed;
  }

  private reload(): void {
    let mtimeMs: number;
    try {
      mtimeMs = statSync(this.path).mtimeMs;
    } catch {
      if (this.loadedMtimeMs !== -1) this.version++;
      this.bindings = [];
      this.loadedMtimeMs = -1;
      return;
    }
    if (mtimeMs === this.loadedMtimeMs) return;
    let parsed: AclsFile;
    try {
      parsed = JSON.parse(readFileSync(this.path, 'utf8')) as AclsFile;
    } catch (e) {
      throw new SecurityConfigError(`cannot read the ACL file ${this.path}: ${(e as Error).message}`);
    }
    if (parsed.version !== 1 || !Array.isArray(parsed.acls)) throw new SecurityConfigError(`the ACL file ${this.path} is not a version 1 ACL file`);
    this.bindings = parsed.acls.map((b) => validateBinding(b));
    this.loadedMtimeMs = mtimeMs;
    this.version++;
  }

  private save(): void {
    mkdirSync(join(this.dataDir, SECURITY_DIR), { recursive: true, mode: 0o700 });
    const data: AclsFile = { version: 1, acls: this.bindings };
    writeFileAtomicSync(this.path, `${JSON.stringify(data, null, 2)}\n`);
    this.loadedMtimeMs = statSync(this.path).mtimeMs;
    this.version++;
  }

  get file(): string {
    return this.path;
  }
}

export function aclStorePath(dataDir: string): string {
  return join(dataDir, SECURITY_DIR, ACLS_FILE);
}
