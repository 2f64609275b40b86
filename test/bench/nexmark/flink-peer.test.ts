// The Flink peer (Apache Flink 2.2 MiniCluster running nexmark/nexmark's SQL over the same events)
// and Tributary's queries produce the same rows: the check `npm run bench -- peers` makes before
// printing a ratio. Skipped, saying why, without java/javac/mvn.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ensureFlinkPeer, flinkRows, writeEventsFile, PeerUnavailableError } from '../../../bench/peers/flink.js';
import { sameRows, tributaryRows } from '../../../bench/peers/agreement.js';

let classpath: string | undefined;
let skip: string | false = false;
try {
  classpath = ensureFlinkPeer();
} catch (e) {
  if (!(e instanceof PeerUnavailableError)) throw e;
  skip = `Flink peer unavailable: ${e.message}`;
}
const dir = mkdtempSync(join(tmpdir(), 'tributary-flink-peer-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const EVENTS = 20_000;

// q1/q2 stateless, q4 updating (Flink's changelog applied vs our last row per key), q6 on Flink's
// DataStream API; the bench checks every query the same way before its ratio.
for (const q of ['q1', 'q2', 'q4', 'q6']) {
  test(`${q}: Flink's rows equal Tributary's over ${EVENTS} events`, { skip }, async () => {
    const file = join(dir, 'events.jsonl');
    if (!existsSync(file)) await writeEventsFile(file, EVENTS);
    const flink = flinkRows(classpath!, file, q);
    const ours = tributaryRows(q, EVENTS);
    assert.ok(ours.length > 0);
    const r = sameRows(ours, flink);
    assert.ok(r.equal, r.detail);
    // and the check can fail: one changed value is found
    const changed = ours.map((row, i) => (i === 0 ? [...row.slice(0, -1), 'x'] : row));
    assert.equal(sameRows(ours.slice(1), flink).equal, false);
    assert.equal(sameRows(changed, flink).equal, false);
  });
}
