import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveScramCredential, ScramServerSession } from '../../../src/broker/security/scram.js';
import { SaslAuthenticationError } from '../../../src/broker/security/errors.js';

// RFC 7677 section 3: user "user", password "pencil".
const SALT = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
const CLIENT_FIRST = 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO';
const SERVER_NONCE_PART = '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
const CLIENT_FINAL = 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=';

test("SCRAM-SHA-256 server replays RFC 7677's example exchange", async () => {
  const credential = await deriveScramCredential('sha256', 'pencil', 4096, SALT);
  const session = new ScramServerSession('SCRAM-SHA-256', (u) => (u === 'user' ? credential : null), () => SERVER_NONCE_PART);
  const first = await session.step(Buffer.from(CLIENT_FIRST));
  assert.equal(first.response.toString(), 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
  assert.equal(first.user, null);
  const final = await session.step(Buffer.from(CLIENT_FINAL));
  assert.equal(final.response.toString(), 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
  assert.equal(final.user, 'user');
});

test('SCRAM rejects a proof made with another password, and an unknown user the same way', async () => {
  const other = await deriveScramCredential('sha256', 'not-pencil', 4096, SALT);
  for (const lookup of [() => other, () => null]) {
    const session = new ScramServerSession('SCRAM-SHA-256', lookup, () => SERVER_NONCE_PART);
    await session.step(Buffer.from(CLIENT_FIRST));
    await assert.rejects(session.step(Buffer.from(CLIENT_FINAL)), SaslAuthenticationError);
  }
});

test('SCRAM rejects malformed messages and a nonce that is not the server one', async () => {
  const credential = await deriveScramCredential('sha256', 'pencil', 4096, SALT);
  const fresh = () => new ScramServerSession('SCRAM-SHA-256', () => credential, () => SERVER_NONCE_PART);
  await assert.rejects(fresh().step(Buffer.from('garbage')), SaslAuthenticationError);
  await assert.rejects(fresh().step(Buffer.from('p=tls-unique,,n=user,r=abc')), /channel binding/);
  const s = fresh();
  await s.step(Buffer.from(CLIENT_FIRST));
  await assert.rejects(s.step(Buffer.from(CLIENT_FINAL.replace('k0,p=', 'k1,p='))), /nonce/);
});
