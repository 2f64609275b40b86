import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { SaslAuthenticationError } from './errors.js';

const pbkdf2Async = promisify(pbkdf2);

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
export const SCRAM_MECHANISMS: readonly ScramMechanism[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];

/** Kafka's minimum (and default) iteration count for SCRAM credentials. */
export const DEFAULT_SCRAM_ITERATIONS = 4096;

type Digest = 'sha256' | 'sha512';

export function digestOf(mechanism: ScramMechanism): Digest {
  return mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
}

/**
 * What the server keeps of a password (RFC 5802 section 3): StoredKey = H(HMAC(SaltedPassword, "Client Key")),
 * ServerKey = HMAC(SaltedPassword, "Server Key"), SaltedPassword = PBKDF2(password, salt, iterations). The password
 * cannot be recovered from it, yet it verifies both a SCRAM proof and a PLAIN password.
 */
export interface ScramCredential {
  readonly digest: Digest;
  readonly salt: Buffer;
  readonly iterations: number;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

function hmac(digest: Digest, key: Buffer, data: string | Buffer): Buffer {
  return createHmac(digest, key).update(data).digest();
}

function keyLength(digest: Digest): number {
  return digest === 'sha256' ? 32 : 64;
}

async function saltedPassword(digest: Digest, password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  // Async: 4096 PBKDF2 rounds must not stall the broker's other connections.
  return pbkdf2Async(Buffer.from(password.normalize('NFKC'), 'utf8'), salt, iterations, keyLength(digest), digest);
}

export async function deriveScramCredential(
  digest: Digest,
  password: string,
  iterations = DEFAULT_SCRAM_ITERATIONS,
  salt: Buffer = randomBytes(32),
): Promise<ScramCredential> {
  const salted = await saltedPassword(digest, password, salt, iterations);
  const clientKey = hmac(digest, salted, 'Client Key');
  return {
    digest,
    salt,
    iterations,
    storedKey: createHash(digest).update(clientKey).digest(),
    serverKey: hmac(digest, salted, 'Server Key'),
  };
}

/** True when `password` is the one the credential was derived from (PLAIN against a stored hash). */
export async function passwordMatches(credential: ScramCredential, password: string): Promise<boolean> {
  const derived = await deriveScramCredential(credential.digest, password, credential.iterations, credential.salt);
  return timingSafeEqual(derived.storedKey, credential.storedKey);
}

/** RFC 5802 saslname: ',' and '=' are escaped as =2C and =3D. */
function decodeSaslName(s: string): string {
  if (/=(?!2C|3D)/.test(s)) throw new SaslAuthenticationError('invalid SCRAM user name encoding');
  return s.replaceAll('=2C', ',').replaceAll('=3D', '=');
}

function attributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq !== 1) throw new SaslAuthenticationError(`malformed SCRAM message part '${part.slice(0, 20)}'`);
    out.set(part[0]!, part.slice(2));
  }
  return out;
}

/** Result of one SCRAM step: the bytes to send back, and the user once the exchange is complete. */
export interface SaslStep {
  response: Buffer;
  /** Set on the final step: the authenticated user name. */
  user: string | null;
}

/**
 * The server side of one SCRAM exchange, as Kafka's ScramSaslServer: client-first -> server-first,
 * client-final -> server-final. Channel binding is not supported (gs2 flag 'n' or 'y'), as in Kafka.
 * `lookup` gives the stored credential of a user (null: unknown user - the exchange then fails at
 * the proof, without telling the client whether the name exists).
 */
export class ScramServerSession {
  private state: 'first' | 'final' | 'done' = 'first';
  private user = '';
  private credential: ScramCredential | null = null;
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';
  private gs2Header = '';

  constructor(
    private readonly mechanism: ScramMechanism,
    private readonly lookup: (user: string) => ScramCredential | null,
    /** The server's part of the nonce (fixed only by tests that replay RFC 7677's example). */
    private readonly serverNonce: () => string = () => randomBytes(24).toString('base64url'),
  ) {}

  async step(token: Buffer): Promise<SaslStep> {
    if (this.state === 'first') return this.first(token.toString('utf8'));
    if (this.state === 'final') return this.final(token.toString('utf8'));
    throw new SaslAuthenticationError('SCRAM exchange already complete');
  }

  private async first(message: string): Promise<SaslStep> {
    // gs2-header: flag "," [authzid] "," ; then client-first-message-bare.
    const m = /^([ny]|p=[^,]*),(a=[^,]*)?,(.*)$/s.exec(message);
    if (m === null) throw new SaslAuthenticationError('malformed SCRAM client-first message');
    if (m[1]!.startsWith('p=')) throw new SaslAuthenticationError('SCRAM channel binding is not supported');
    this.gs2Header = message.slice(0, message.length - m[3]!.length);
    this.clientFirstBare = m[3]!;
    const attrs = attributes(this.clientFirstBare);
    const user = attrs.get('n');
    const clientNonce = attrs.get('r');
    if (user === undefined || user === '' || clientNonce === undefined || clientNonce === '') {
      throw new SaslAuthenticationError('SCRAM client-first message without user name or nonce');
    }
    if (attrs.has('m')) throw new SaslAuthenticationError('SCRAM mandatory extensions are not supported');
    this.user = decodeSaslName(user);
    const authzid = m[2] === undefined ? '' : decodeSaslName(m[2].slice(2));
    if (authzid !== '' && authzid !== this.user) throw new SaslAuthenticationError('SCRAM authorization id differs from the user name');
    const digest = this.mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
    const found = this.lookup(this.user);
    // An unknown user gets a made-up salt, so the reply does not reveal whether the name exists.
    this.credential = found !== null && found.digest === digest ? found : null;
    const salt = this.credential?.salt ?? createHash(digest).update(`tributary-unknown-user:${this.user}`).digest().subarray(0, 32);
    const iterations = this.credential?.iterations ?? DEFAULT_SCRAM_ITERATIONS;
    this.nonce = clientNonce + this.serverNonce();
    this.serverFirst = `r=${this.nonce},s=${salt.toString('base64')},i=${iterations}`;
    this.state = 'final';
    return { response: Buffer.from(this.serverFirst, 'utf8'), user: null };
  }

  private async final(message: string): Promise<SaslStep> {
    this.state = 'done';
    const proofAt = message.lastIndexOf(',p=');
    if (proofAt < 0) throw new SaslAuthenticationError('SCRAM client-final message without proof');
    const withoutProof = message.slice(0, proofAt);
    const attrs = attributes(message);
    // Kafka's ScramSaslServer checks endsWith, not equality: librdkafka 2.0 sends its own nonce
    // again in front of the combined one, and Kafka accepts it (the proof still covers it).
    if (!(attrs.get('r') ?? '').endsWith(this.nonce)) throw new SaslAuthenticationError('SCRAM nonce mismatch');
    if (attrs.get('c') !== Buffer.from(this.gs2Header, 'utf8').toString('base64')) {
      throw new SaslAuthenticationError('SCRAM channel binding mismatch');
    }
    const proof = Buffer.from(attrs.get('p') ?? '', 'base64');
    const credential = this.credential;
    if (credential === null || proof.length !== credential.storedKey.length) {
      throw new SaslAuthenticationError(`Authentication failed during authentication due to invalid credentials with SASL mechanism ${this.mechanism}`);
    }
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const clientSignature = hmac(credential.digest, credential.storedKey, authMessage);
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ clientSignature[i]!;
    const storedKey = createHash(credential.digest).update(clientKey).digest();
    if (!timingSafeEqual(storedKey, credential.storedKey)) {
      throw new SaslAuthenticationError(`Authentication failed during authentication due to invalid credentials with SASL mechanism ${this.mechanism}`);
    }
    const serverSignature = hmac(credential.digest, credential.serverKey, authMessage);
    return { response: Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8'), user: this.user };
  }
}
