import { readFileSync } from 'node:fs';
import { createServer as createNetServer, isIP, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { SecurityConfigError } from './errors.js';

/** A TLS listener (Kafka's SSL / SASL_SSL). Paths of PEM files. */
export interface TlsOptions {
  /** The broker's certificate chain (PEM). */
  certFile: string;
  /** Its private key (PEM). */
  keyFile: string;
  /** CA certificates that sign client certificates (PEM); needed for mTLS. */
  caFile?: string;
  /**
   * Kafka's ssl.client.auth: 'required' (mTLS: a client without a certificate signed by the CA is
   * refused; its principal is User:<certificate CN> unless it authenticates with SASL), 'requested'
   * (checked when offered), 'none' (the default).
   */
  clientAuth?: 'required' | 'requested' | 'none';
}

/** Whether an interface name or address only accepts connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (host.startsWith('::ffff:')) return isLoopbackHost(host.slice(7));
  return host === '::1';
}

/**
 * The listening socket: TLS when `tls` is given, else plaintext - which is only allowed on a
 * loopback interface, since credentials and records would otherwise cross the network in the clear.
 * Returns the server and the event a ready client connection arrives on.
 */
export function createListener(host: string, tls: TlsOptions | null): { server: Server; connectionEvent: 'connection' | 'secureConnection' } {
  if (tls === null) {
    if (!isLoopbackHost(host)) {
      throw new SecurityConfigError(
        `refusing a plaintext listener on ${host}: plaintext is only allowed on loopback (127.0.0.1, ::1); give --tls-cert and --tls-key to listen on other interfaces`,
      );
    }
    return { server: createNetServer({ noDelay: true }), connectionEvent: 'connection' };
  }
  const read = (what: string, path: string) => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new SecurityConfigError(`cannot read the TLS ${what} ${path}: ${(e as Error).message}`);
    }
  };
  const clientAuth = tls.clientAuth ?? 'none';
  if (clientAuth !== 'none' && tls.caFile === undefined) throw new SecurityConfigError('client certificate authentication needs a CA file (--tls-ca)');
  try {
    const server = createTlsServer({
      cert: read('certificate', tls.certFile),
      key: read('key', tls.keyFile),
      ...(tls.caFile !== undefined ? { ca: read('CA file', tls.caFile) } : {}),
      requestCert: clientAuth !== 'none',
      rejectUnauthorized: clientAuth === 'required',
      minVersion: 'TLSv1.2',
      // A client that speaks plaintext (or garbage) fails the handshake and is dropped here.
      handshakeTimeout: 10_000,
    });
    server.on('tlsClientError', (_e: Error, socket: TLSSocket) => socket.destroy());
    return { server, connectionEvent: 'secureConnection' };
  } catch (e) {
    throw new SecurityConfigError(`bad TLS configuration: ${(e as Error).message}`);
  }
}

/** User:<CN> of a verified client certificate (mTLS), or null. */
export function certificatePrincipal(socket: Socket): string | null {
  const tlsSocket = socket as TLSSocket;
  if (typeof tlsSocket.getPeerCertificate !== 'function' || !tlsSocket.authorized) return null;
  const cert = tlsSocket.getPeerCertificate();
  const cn = cert?.subject?.CN;
  const name = Array.isArray(cn) ? cn[0] : cn;
  return typeof name === 'string' && name !== '' ? `User:${name}` : null;
}
