import type { CommittedOffset } from '../../log/index.js';

/** Kafka's classic group states, spelled as DescribeGroups and ListGroups report them. */
export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface Protocol {
  name: string;
  metadata: Buffer;
}

export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  memberId: string;
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[];
  skipAssignment: boolean;
}

export interface SyncResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export const EMPTY_BUFFER: Buffer = Buffer.alloc(0);

export class Member {
  assignment: Buffer = EMPTY_BUFFER;
  awaitingJoin: ((r: JoinResult) => void) | null = null;
  awaitingSync: ((r: SyncResult) => void) | null = null;
  sessionTimer: NodeJS.Timeout | null = null;
  /** Joined but not yet through a completed join (Kafka gives those 5 minutes to finish joining). */
  isNew = false;

  constructor(
    readonly memberId: string,
    readonly groupInstanceId: string | null,
    public clientId: string,
    public clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    public protocols: Protocol[],
  ) {}

  metadataFor(protocol: string | null): Buffer {
    if (protocol === null) return EMPTY_BUFFER;
    return this.protocols.find((p) => p.name === protocol)?.metadata ?? EMPTY_BUFFER;
  }

  /** Same protocols, in the same order, with the same metadata. */
  sameProtocols(protocols: readonly Protocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    return protocols.every((p, i) => p.name === this.protocols[i]!.name && p.metadata.equals(this.protocols[i]!.metadata));
  }
}

/** One classic consumer group: its members and generation, and its committed offsets. */
export class Group {
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, Member>();
  /** group.instance.id -> member id, for static members. */
  readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, waiting for the member's second JoinGroup. */
  readonly pendingMembers = new Map<string, NodeJS.Timeout>();
  /** topic -> partition -> committed offset. */
  readonly offsets = new Map<string, Map<number, CommittedOffset>>();
  rebalanceTimer: NodeJS.Timeout | null = null;
  /** While > 0, a new group waits (group.initial.rebalance.delay.ms) for more members before completing the join. */
  initialDelayUntil = 0;
  rebalanceStartedAt = 0;
  newMemberAdded = false;
  currentStateTimestamp: number;

  constructor(
    readonly groupId: string,
    now: number,
  ) {
    this.currentStateTimestamp = now;
  }

  transition(state: GroupState, now: number): void {
    this.state = state;
    this.currentStateTimestamp = now;
  }

  /** Protocols every member supports. */
  candidateProtocols(): Set<string> {
    let candidates: Set<string> | null = null;
    for (const m of this.members.values()) {
      const names = new Set(m.protocols.map((p) => p.name));
      if (candidates === null) candidates = names;
      else for (const n of [...candidates]) if (!names.has(n)) candidates.delete(n);
    }
    return candidates ?? new Set();
  }

  supportsProtocols(protocolType: string, protocols: readonly Protocol[]): boolean {
    if (this.members.size === 0) return protocolType !== '' && protocols.length > 0;
    if (protocolType !== this.protocolType) return false;
    const candidates = this.candidateProtocols();
    return protocols.some((p) => candidates.has(p.name));
  }

  /** Each member votes for its most preferred candidate protocol; the most votes wins. */
  selectProtocol(): string | null {
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const choice = m.protocols.find((p) => candidates.has(p.name));
      if (choice !== undefined) votes.set(choice.name, (votes.get(choice.name) ?? 0) + 1);
    }
    let best: string | null = null;
    let bestVotes = -1;
    for (const [name, n] of votes) {
      if (n > bestVotes) {
        best = name;
        bestVotes = n;
      }
    }
    return best;
  }

  allMembersJoined(): boolean {
    if (this.pendingMembers.size > 0) return false;
    for (const m of this.members.values()) if (m.awaitingJoin === null) return false;
    return true;
  }

  maxRebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  hasOffsets(): boolean {
    return this.offsets.size > 0;
  }
}
