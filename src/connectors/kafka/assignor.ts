/**
 * The group leader's task assignment for a scaled-out application (Kafka Streams' sticky task
 * assignor, for our task partitions 0..n-1: partition p stands for every sub-topology's task p).
 * A pure function: the same subscriptions give the same assignment, whatever their order.
 *
 * Active tasks:
 *   1. Balance: every member gets floor(n/m) or ceil(n/m) partitions; the n mod m larger shares go
 *      to the members that owned the most, so that as many as possible stay where they are.
 *   2. Stickiness: a member keeps the partitions it ran in the last generation (a partition two
 *      members claim, e.g. a zombie's, stays with the claim of the newer generation) up to its
 *      share; past its share it gives up first those another member holds warm state for.
 *   3. Movement: the partitions left over (of members gone, or given up for balance) go, in
 *      partition order, to the member with room whose local state for it is warmest (a standby or
 *      an earlier owner: least changelog left to restore), then to the least loaded, then by id.
 * Standby tasks (numStandbyReplicas = N): each partition also goes to min(N, m−1) other members:
 * among those below their fair share of standbys, first the ones holding the fewest standbys of
 * the same owner's partitions (so that when a member dies its tasks move warm to several
 * survivors, not all to one), then the ones already warm for it (a standby stays a standby), then
 * the least loaded; where that greedy pass left one member with two
 * standbys more than another, standbys move from the most to the least loaded until balanced.
 */

export interface MemberSubscription {
  readonly memberId: string;
  /** Partitions the member ran as active tasks in `generation` (empty for a new member). */
  readonly owned: readonly number[];
  /** The generation `owned` is from (−1: none); of two claims to a partition the newer wins. */
  readonly generation: number;
  /**
   * Partitions the member holds local state for (a standby, an earlier owner's on-disk state), and
   * how far that state goes: the sum of the changelog offsets it reflects. Higher is warmer (the
   * same changelog partitions, so the member with the higher sum has less to restore).
   */
  readonly warm: ReadonlyMap<number, number>;
}

export interface TaskAssignment {
  /** Partitions whose tasks the member runs, ascending. */
  readonly active: number[];
  /** Partitions whose state the member keeps warm as a standby, ascending. */
  readonly standby: number[];
}

const byId = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function assignTasks(subscriptions: readonly MemberSubscription[], partitions: number, numStandbyReplicas = 0): Map<string, TaskAssignment> {
  const members = [...subscriptions].sort((a, b) => byId(a.memberId, b.memberId));
  const out = new Map<string, TaskAssignment>(members.map((m) => [m.memberId, { active: [], standby: [] }]));
  const m = members.length;
  if (m === 0) return out;
  const warmth = (member: MemberSubscription, p: number): number => member.warm.get(p) ?? -1;

  // Claims: the newest generation's owner of each partition (ties: the first by id).
  const claim = new Map<number, MemberSubscription>();
  for (const member of members) {
    for (const p of member.owned) {
      if (!Number.isInteger(p) || p < 0 || p >= partitions) continue;
      const other = claim.get(p);
      if (!other || member.generation > other.generation) claim.set(p, member);
    }
  }
  const claimed = new Map<string, number[]>(members.map((x) => [x.memberId, []]));
  for (const [p, member] of claim) claimed.get(member.memberId)!.push(p);

  // Shares: the larger ones to the members that owned the most.
  const base = Math.floor(partitions / m);
  const extra = partitions % m;
  const share = new Map<string, number>();
  [...members]
    .sort((a, b) => claimed.get(b.memberId)!.length - claimed.get(a.memberId)!.length || byId(a.memberId, b.memberId))
    .forEach((x, i) => share.set(x.memberId, base + (i < extra ? 1 : 0)));

  // Keep what each member owned, up to its share; give up first what someone else is warm for.
  const owner = new Map<number, string>();
  for (const member of members) {
    const own = claimed.get(member.memberId)!;
    const warmElsewhere = (p: number) => members.some((x) => x !== member && x.warm.has(p));
    own.sort((a, b) => Number(warmElsewhere(a)) - Number(warmElsewhere(b)) || a - b);
    for (const p of own.slice(0, share.get(member.memberId)!)) {
      out.get(member.memberId)!.active.push(p);
      owner.set(p, member.memberId);
    }
  }

  // The rest: warmest member with room, then least loaded, then by id.
  for (let p = 0; p < partitions; p++) {
    if (owner.has(p)) continue;
    let best: MemberSubscription | undefined;
    for (const member of members) {
      const a = out.get(member.memberId)!.active;
      if (a.length >= share.get(member.memberId)!) continue;
      if (!best) {
        best = member;
        continue;
      }
      const d = warmth(member, p) - warmth(best, p) || out.get(best.memberId)!.active.length - a.length;
      if (d > 0) best = member;
    }
    out.get(best!.memberId)!.active.push(p);
    owner.set(p, best!.memberId);
  }

  // Standbys.
  const replicas = Math.max(0, Math.min(Math.floor(numStandbyReplicas), m - 1));
  if (replicas > 0) {
    const fair = Math.ceil((partitions * replicas) / m);
    for (let p = 0; p < partitions; p++) {
      for (let r = 0; r < replicas; r++) {
        const candidates = members.filter((x) => x.memberId !== owner.get(p) && !out.get(x.memberId)!.standby.includes(p));
        const roomy = candidates.filter((x) => out.get(x.memberId)!.standby.length < fair);
        const pool = roomy.length > 0 ? roomy : candidates;
        const load = (x: MemberSubscription) => out.get(x.memberId)!.standby.length;
        // Standbys of one member's partitions on different members: when it dies, every survivor takes over warm.
        const spread = (x: MemberSubscription) => out.get(x.memberId)!.standby.filter((q) => owner.get(q) === owner.get(p)).length;
        pool.sort((a, b) => spread(a) - spread(b) || Number(b.warm.has(p)) - Number(a.warm.has(p)) || load(a) - load(b) || byId(a.memberId, b.memberId));
        out.get(pool[0]!.memberId)!.standby.push(p);
      }
    }
    rebalanceStandbys(members, out, owner);
  }
  for (const a of out.values()) {
    a.active.sort((x, y) => x - y);
    a.standby.sort((x, y) => x - y);
  }
  return out;
}

/**
 * Evens out standby counts (to within one) after the greedy pass: moves a standby from the most
 * loaded member to the least loaded one that may hold it (not its owner, not already a standby of
 * it), preferring partitions the receiver is warm for. Each move lowers the spread, so it ends.
 */
function rebalanceStandbys(members: readonly MemberSubscription[], out: Map<string, TaskAssignment>, owner: ReadonlyMap<number, string>): void {
  const load = (x: MemberSubscription) => out.get(x.memberId)!.standby.length;
  for (;;) {
    const sorted = [...members].sort((a, b) => load(b) - load(a) || byId(a.memberId, b.memberId));
    let moved = false;
    search: for (const from of sorted) {
      for (const to of [...sorted].reverse()) {
        if (load(from) - load(to) <= 1) continue;
        const give = out.get(from.memberId)!.standby;
        const take = out.get(to.memberId)!.standby;
        const movable = give.filter((p) => owner.get(p) !== to.memberId && !take.includes(p));
        if (movable.length === 0) continue;
        movable.sort((a, b) => Number(to.warm.has(b)) - Number(to.warm.has(a)) || a - b);
        const p = movable[0]!;
        give.splice(give.indexOf(p), 1);
        take.push(p);
        moved = true;
        break search;
      }
    }
    if (!moved) return;
  }
}
