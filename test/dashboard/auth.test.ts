import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { DashboardError, startDashboard } from '../../src/dashboard/index.js';

const TOKEN = 'a-long-enough-secret-token';

/** A GET with full control of the Host header (fetch does not allow setting it). */
function rawGet(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('bound beyond loopback, the dashboard refuses to start without a token (or with a short one)', async () => {
  for (const options of [{ host: '0.0.0.0' }, { host: '0.0.0.0', token: '' }, { host: '0.0.0.0', token: 'short' }]) {
    await assert.rejects(startDashboard({ ...options, port: 0 }), (e: unknown) => e instanceof DashboardError && e.code === 'DASHBOARD_TOKEN_REQUIRED');
  }
});

test('with a token, every route needs it: Bearer header, ?token= (which sets an HttpOnly cookie) or that cookie', async () => {
  const d = await startDashboard({ host: '0.0.0.0', port: 0, token: TOKEN });
  try {
    const at = (path: string) => new URL(path, `http://127.0.0.1:${d.port}`);
    for (const path of ['/', '/metrics', '/api/overview', '/api/state', '/api/events', '/assets/dashboard.js']) {
      assert.equal((await fetch(at(path))).status, 401, `${path} without a token`);
      assert.equal((await fetch(at(path), { headers: { authorization: 'Bearer wrong-token-of-some-length' } })).status, 401, `${path} with a wrong token`);
    }
    assert.equal((await fetch(at('/api/overview'), { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
    assert.equal((await fetch(at('/metrics'), { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
    const page = await fetch(at(`/?token=${TOKEN}`));
    assert.equal(page.status, 200);
    const cookie = page.headers.get('set-cookie') ?? '';
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    const withCookie = await fetch(at('/api/overview'), { headers: { cookie: cookie.split(';')[0]! } });
    assert.equal(withCookie.status, 200);
    // Read-only even with the token.
    assert.equal((await fetch(at('/api/overview'), { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })).status, 405);
  } finally {
    await d.close();
  }
});

test('without a token (loopback), requests naming another host are refused (DNS rebinding)', async () => {
  const d = await startDashboard({ port: 0 });
  try {
    assert.equal(d.host, '127.0.0.1');
    assert.equal((await rawGet(d.port, '/api/overview', { host: `localhost:${d.port}` })).status, 200);
    assert.equal((await rawGet(d.port, '/api/overview', { host: `127.0.0.1:${d.port}` })).status, 200);
    assert.equal((await rawGet(d.port, '/api/overview', { host: 'attacker.example' })).status, 403);
    assert.equal((await rawGet(d.port, '/metrics', { host: `attacker.example:${d.port}` })).status, 403);
  } finally {
    await d.close();
  }
});
