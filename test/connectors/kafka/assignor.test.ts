// The sticky task assignor (src/connectors/kafka/assignor.ts): balance, stickiness (the fewest
// moves), determinism, warm members preferred for moved partitions, standby replicas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { assignTasks, type MemberSubscription, type TaskAssignment } from '../../../src/connectors/kafka/assignor.js';

const sub = (memberId: string, owned: number[] = [], warm: Array<[number, number]> = [], generation = owned.length > 0 ? 1 : -1): MemberSubscription => ({
  memberId,
  owned,
  generation,
  warm: new Map(warm),
});

function owners(a: Map<string, TaskAssignment>): Map<number, string> {
  const o = new Map<number, string>();
  for (const [id, x] of a) for (const p of x.active) o.set(p, id);
  return o;
}

function checkBalanced(a: Map<string, TaskAssignment>, partitions: number): void {
  const o = owners(a);
  assert.equal(o.size, partitions, 'every partition has an owner');
  assert.equal([...a.values()].reduce((n, x) => n + x.active.length, 0), partitions, 'no partition twice');
  const sizes = [...a.values()].map((x) => x.active.length);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `balanced: ${sizes.join(',')}`);
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

test('a first assignment is balanced and the same whatever the members order', () => {
  const a = assignTasks([sub('c'), sub('a'), sub('b')], 12);
  checkBalanced(a, 12);
  assert.deepEqual(assignTasks([sub('a'), sub('b'), sub('c')], 12), a);
});

test('a joining member takes only its share: no partition moves between the members that stay', () => {
  const before = assignTasks([sub('a'), sub('b'), sub('c')], 12);
  const subs = [...before].map(([id, x]) => sub(id, x.active));
  const after = assignTasks([...subs, sub('d')], 12);
  checkBalanced(after, 12);
  for (const [id, x] of before) for (const p of after.get(id)!.active) assert.ok(x.active.includes(p), `${id} got ${p} it did not have`);
  assert.equal(after.get('d')!.active.length, 3, 'the new member gets 3 of 12, the fewest moves for balance');
});

test('a leaving member: only its partitions move, to the members warm for them', () => {
  const subs = [sub('a', [0, 1, 2, 3], [[4, 100], [5, 100]]), sub('b', [4, 5, 6, 7], [[8, 100], [9, 100]]), sub('c', [8, 9, 10, 11], [[10, 50]])];
  // b is gone; a holds warm state for 4, 5; c for nothing of b's.
  const after = assignTasks([subs[0]!, subs[2]!], 12);
  checkBalanced(after, 12);
  assert.deepEqual(after.get('a')!.active, [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(after.get('c')!.active, [6, 7, 8, 9, 10, 11]);
});

test('a moved partition goes to the warmest member with room, else to the least loaded', () => {
  // 2 and 3 have no owner; shares are 2 each. b's state for 2 is further than a's: b gets 2;
  // nobody is warm for 3: the less loaded member (a) gets it.
  const after = assignTasks([sub('a', [0], [[2, 10]]), sub('b', [1], [[2, 30]])], 4);
  assert.deepEqual(after.get('a')!.active, [0, 3]);
  assert.deepEqual(after.get('b')!.active, [1, 2]);
  const warmer = assignTasks([sub('a', [], [[0, 5]]), sub('b', [], [[0, 7]])], 2);
  assert.deepEqual(warmer.get('b')!.active, [0], 'b has less to restore for 0');
});

test('two claims to one partition: the newer generation keeps it', () => {
  const a = assignTasks([sub('a', [0, 1], [], 4), sub('b', [1, 2, 3], [], 5)], 4);
  assert.deepEqual(a.get('b')!.active, [1, 2]);
  assert.deepEqual(a.get('a')!.active, [0, 3]);
});

test('standbys: each partition on min(N, members - 1) other members, sticky', () => {
  const a = assignTasks([sub('a'), sub('b'), sub('c')], 12, 1);
  for (const p of range(0, 12)) {
    const holders = [...a].filter(([, x]) => x.standby.includes(p)).map(([id]) => id);
    assert.equal(holders.length, 1);
    assert.notEqual(holders[0], owners(a).get(p));
  }
  const counts = [...a.values()].map((x) => x.standby.length);
  assert.deepEqual(counts, [4, 4, 4]);
  // The next generation, nothing changed: same actives, same standbys.
  const again = assignTasks(
    [...a].map(([id, x]) => sub(id, x.active, x.standby.map((p) => [p, 1]))),
    12,
    1,
  );
  assert.deepEqual(again, a);
  // Warm standbys where the greedy pass would pile them on one member: balanced all the same
  // (the case seen with 3 processes: b warm for 0, 1 and 5, a owning 0, 1, c owning 5).
  const piled = assignTasks(
    [sub('a', [0, 1], [[2, 1], [3, 1]], 3), sub('b', [3, 4], [[0, 1], [1, 1], [5, 1]], 3), sub('c', [2, 5], [[4, 1]], 3)],
    6,
    1,
  );
  assert.deepEqual([...piled.values()].map((x) => x.standby.length), [2, 2, 2]);
  // A member's partitions have their standbys on different members: when it dies, each survivor
  // takes one over warm (not one survivor both, and the other a cold one).
  // The history that once put both standbys of b's partitions on a: a and b alone (each the
  // other's standby), then c joins.
  const three = assignTasks([sub('a', [0, 1, 2], [[3, 9], [4, 9], [5, 9]]), sub('b', [3, 4, 5], [[0, 9], [1, 9], [2, 9]]), sub('c')], 6, 1);
  for (const [id, x] of three) {
    const holders = x.active.map((p) => [...three].find(([, y]) => y.standby.includes(p))![0]);
    assert.equal(new Set(holders).size, 2, `${id}'s standbys are spread: ${holders.join(',')}`);
    const survivors = [...three].filter(([other]) => other !== id);
    const after = assignTasks(survivors.map(([other, y]) => sub(other, y.active, y.standby.map((p) => [p, 100]))), 6, 1);
    for (const [other, y] of survivors) {
      const gained = after.get(other)!.active.filter((p) => !y.active.includes(p));
      assert.deepEqual(gained, y.standby.filter((p) => x.active.includes(p)), `${other} takes over the partition it was warm for`);
    }
  }
  // More replicas than other members: capped.
  const capped = assignTasks([sub('a'), sub('b')], 4, 3);
  assert.deepEqual(capped.get('a')!.standby, capped.get('b')!.active);
  assert.deepEqual(capped.get('b')!.standby, capped.get('a')!.active);
});

const memberIds = fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g'), { minLength: 1, maxLength: 6 });

test('property: balanced, complete, deterministic; standbys distinct and never the owner', () => {
  fc.assert(
    fc.property(memberIds, fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 3 }), fc.integer(), (ids, partitions, n, seed) => {
      // Random earlier ownership (possibly conflicting, out of range) and warm state.
      let s = seed;
      const rnd = (k: number) => ((s = (s * 1103515245 + 12345) & 0x7fffffff), s % k);
      const subs = ids.map((id) =>
        sub(
          id,
          range(0, partitions + 3).filter(() => rnd(3) === 0),
          range(0, partitions).filter(() => rnd(4) === 0).map((p) => [p, rnd(100)] as [number, number]),
          rnd(5),
        ),
      );
      const a = assignTasks(subs, partitions, n);
      checkBalanced(a, partitions);
      assert.deepEqual(assignTasks([...subs].reverse(), partitions, n), a);
      const o = owners(a);
      const replicas = Math.min(n, ids.length - 1);
      for (const p of range(0, partitions)) {
        const holders = [...a].filter(([, x]) => x.standby.includes(p)).map(([id]) => id);
        assert.equal(holders.length, replicas);
        assert.ok(!holders.includes(o.get(p)!));
      }
      const standbys = [...a.values()].map((x) => x.standby.length);
      if (ids.length > 1) assert.ok(Math.max(...standbys) - Math.min(...standbys) <= 1, `standbys balanced: ${standbys.join(',')}`);
    }),
    { numRuns: 300 },
  );
});

test('property: from a balanced assignment, a join or a leave moves the fewest partitions', () => {
  fc.assert(
    fc.property(memberIds, fc.integer({ min: 1, max: 40 }), fc.boolean(), (ids, partitions, join) => {
      const first = assignTasks(ids.map((id) => sub(id)), partitions);
      const subs = [...first].map(([id, x]) => sub(id, x.active));
      if (join) {
        const after = assignTasks([...subs, sub('z')], partitions);
        checkBalanced(after, partitions);
        const moved = [...owners(after)].filter(([p, id]) => owners(first).get(p) !== id).length;
        // Minimal: the newcomer's share, and nothing else.
        assert.equal(moved, after.get('z')!.active.length);
        assert.equal(moved, Math.floor(partitions / (ids.length + 1)));
      } else if (ids.length > 1) {
        const gone = ids[0]!;
        const after = assignTasks(subs.filter((x) => x.memberId !== gone), partitions);
        checkBalanced(after, partitions);
        const moved = [...owners(after)].filter(([p, id]) => owners(first).get(p) !== id).length;
        assert.equal(moved, first.get(gone)!.active.length, 'only the leaver’s partitions move');
      }
    }),
    { numRuns: 300 },
  );
});

test('property: an unchanged group keeps its assignment', () => {
  fc.assert(
    fc.property(memberIds, fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 2 }), (ids, partitions, n) => {
      const first = assignTasks(ids.map((id) => sub(id)), partitions, n);
      const next = assignTasks([...first].map(([id, x]) => sub(id, x.active, x.standby.map((p) => [p, 1]))), partitions, n);
      assert.deepEqual(next, first);
    }),
    { numRuns: 200 },
  );
});
