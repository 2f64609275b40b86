import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCerts {
  caFile: string;
  certFile: string;
  keyFile: string;
  /** A client certificate signed by the CA, CN=alice. */
  clientCertFile: string;
  clientKeyFile: string;
  /** A client certificate signed by another CA (refused by mTLS). */
  strangerCertFile: string;
  strangerKeyFile: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A throw-away CA, a server certificate for 127.0.0.1/localhost and client certificates, made with openssl now. */
export function makeTestCerts(dir: string): TestCerts {
  const p = (f: string) => join(dir, f);
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=tributary-test-ca'], dir);
  writeFileSync(p('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n');
  const leaf = (name: string, cn: string, ca: string, ext?: string) => {
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', ...(ext ? ['-extfile', ext] : [])], dir);
  };
  leaf('server', 'localhost', 'ca', 'server.ext');
  leaf('client', 'alice', 'ca');
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other-ca.key', '-out', 'other-ca.pem', '-days', '2', '-subj', '/CN=someone-else'], dir);
  leaf('stranger', 'mallory', 'other-ca');
  return {
    caFile: p('ca.pem'),
    certFile: p('server.pem'),
    keyFile: p('server.key'),
    clientCertFile: p('client.pem'),
    clientKeyFile: p('client.key'),
    strangerCertFile: p('stranger.pem'),
    strangerKeyFile: p('stranger.key'),
  };
}
