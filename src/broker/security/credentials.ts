import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../../log/atomic-file.js';
import { SecurityConfigError, SecurityResourceNotFoundError } from './errors.js';
import { DEFAULT_SCRAM_ITERATIONS, SCRAM_MECHANISMS, deriveScramCredential, passwordMatches, type ScramCredential, type ScramMechanism } from './scram.js';

/** The SASL mechanisms the broker speaks. */
export type SaslMechanism = 'PLAIN' | ScramMechanism;
export const SASL_MECHANISMS: readonly SaslMechanism[] = ['PLAIN', ...SCRAM_MECHANISMS];

export function isSaslMechanism(s: string): s is SaslMechanism {
  return (SASL_MECHANISMS as readonly string[]).includes(s);
}

/** Where security state lives inside a data directory (not a topic-partition name, so the log leaves it alone). */
export const SECURITY_DIR = 'security';
export const USERS_FILE = 'users.json';

/**
 * One stored credential. `SCRAM-SHA-256`/`SCRAM-SHA-512` serve that SCRAM mechanism and PLAIN;
 * `PLAIN` is the same PBKDF2-SHA-256 hash offered to PLAIN only.
 */
interface StoredCredential {
  mechanism: SaslMechanism;
  salt: string;
  iterations: number;
  storedKey: string;
  serverKey: string;
}

interface UsersFile {
  version: 1;
  users: Record<string, { credentials: StoredCredential[] }>;
}

export interface UserInfo {
  name: string;
  mechanisms: SaslMechanism[];
}

function toCredential(c: StoredCredential): ScramCredential {
  return {
    digest: c.mechanism === 'SCRAM-SHA-512' ? 'sha512' : 'sha256',
    salt: Buffer.from(c.salt, 'base64'),
    iterations: c.iterations,
    storedKey: Buffer.from(c.storedKey, 'base64'),
    serverKey: Buffer.from(c.serverKey, 'base64'),
  };
}

/**
 * The users file `<dataDir>/security/users.json`: per user, salted PBKDF2/SCRAM hashes - never a
 * password. Written atomically; re-read when its modification time changes, so `tributary users
 * add` takes effect on a running broker at the next login.
 */
export class CredentialStore {
  private readonly path: string;
  private data: UsersFile = { version: 1, users: {} };
  private loadedMtimeMs = -1;

  constructor(readonly dataDir: string) {
    this.path = join(dataDir, SECURITY_DIR, USERS_FILE);
    this.refresh();
  }

  /** Re-reads the file if it changed since the last read. */
  refresh(): void {
    let mtimeMs: number;
    try {
      mtimeMs = statSync(this.path).mtimeMs;
    } catch {
      this.data = { version: 1, users: {} };
      this.loadedMtimeMs = -1;
      return;
    }
    if (mtimeMs === this.loadedMtimeMs) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.path, 'utf8'));
    } catch (e) {
      throw new SecurityConfigError(`cannot read the users file ${this.path}: ${(e as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || (parsed as UsersFile).version !== 1 || typeof (parsed as UsersFile).users !== 'object') {
      throw new SecurityConfigError(`the users file ${this.path} is not a version 1 users file`);
    }
    this.data = parsed as UsersFile;
    this.loadedMtimeMs = mtimeMs;
  }

  list(): UserInfo[] {
    this.refresh();
    return Object.keys(this.data.users)
      .sort()
      .map((name) => ({ name, mechanisms: this.data.users[name]!.credentials.map((c) => c.mechanism) }));
  }

  has(name: string): boolean {
    this.refresh();
    return Object.prototype.hasOwnProperty.call(this.data.users, name);
  }

  /** Adds a user or replaces the given mechanisms' credentials of an existing one. */
  async add(name: string, password: string, mechanisms: readonly SaslMechanism[], iterations = DEFAULT_SCRAM_ITERATIONS): Promise<void> {
    if (name === '' || /[\0]/.test(name)) throw new SecurityConfigError('a user name must be non-empty and without NUL');
    if (password === '') throw new SecurityConfigError('a password must not be empty');
    if (mechanisms.length === 0) throw new SecurityConfigError('at least one mechanism is needed');
    if (!Number.isSafeInteger(iterations) || iterations < DEFAULT_SCRAM_ITERATIONS) {
      throw new SecurityConfigError(`SCRAM iterations must be an integer >= ${DEFAULT_SCRAM_ITERATIONS}`);
    }
    const fresh: StoredCredential[] = [];
    for (const mechanism of new Set(mechanisms)) {
      const c = await deriveScramCredential(mechanism === 'SCRAM-SHA-512' ? 'sha512' : 'sha256', password, iterations);
      fresh.push({
        mechanism,
        salt: c.salt.toString('base64'),
        iterations: c.iterations,
        storedKey: c.storedKey.toString('base64'),
        serverKey: c.serverKey.toString('base64'),
      });
    }
    this.refresh();
    const kept = (this.data.users[name]?.credentials ?? []).filter((c) => !mechanisms.includes(c.mechanism));
    this.data.users[name] = { credentials: [...kept, ...fresh].sort((a, b) => a.mechanism.localeCompare(b.mechanism)) };
    this.save();
  }

  remove(name: string): void {
    this.refresh();
    if (!Object.prototype.hasOwnProperty.call(this.data.users, name)) throw new SecurityResourceNotFoundError(`no user '${name}'`);
    delete this.data.users[name];
    this.save();
  }

  /** The SCRAM credential of a user for a mechanism, or null. */
  scramCredential(name: string, mechanism: ScramMechanism): ScramCredential | null {
    this.refresh();
    if (!Object.prototype.hasOwnProperty.call(this.data.users, name)) return null;
    const c = this.data.users[name]!.credentials.find((x) => x.mechanism === mechanism);
    return c === undefined ? null : toCredential(c);
  }

  /** PLAIN: checks the password against any stored hash of the user. */
  async verifyPassword(name: string, password: string): Promise<boolean> {
    this.refresh();
    if (!Object.prototype.hasOwnProperty.call(this.data.users, name)) return false;
    const c = this.data.users[name]!.credentials[0];
    return c !== undefined && passwordMatches(toCredential(c), password);
  }

  private save(): void {
    mkdirSync(join(this.dataDir, SECURITY_DIR), { recursive: true, mode: 0o700 });
    writeFileAtomicSync(this.path, `${JSON.stringify(this.data, null, 2)}\n`);
    this.loadedMtimeMs = statSync(this.path).mtimeMs;
  }
}

export function credentialsFileExists(dataDir: string): boolean {
  return existsSync(join(dataDir, SECURITY_DIR, USERS_FILE));
}
