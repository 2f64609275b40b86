import { CoPartitioningError, TopologyError } from './errors.js';
import type { Getter, GetterResolver, Graph, GraphNode, SinkSpec, SourceSpec, StoreSpec } from './graph.js';
import type { Operator } from './operators/operator.js';
import type { SourceOperator } from './operators/source.js';
import type { ResolvedOptions } from './options.js';
import { Task, type TaskEnvironment, type TaskStore, type PartitionClockPlan } from './task.js';
import { describeTopology } from './describe.js';

/** A connected part of the graph between topics: runs as one task per partition. */
export interface SubTopology {
  readonly id: number;
  /** In topological order. */
  readonly nodes: readonly GraphNode[];
  readonly sources: ReadonlyArray<{ readonly node: GraphNode; readonly spec: SourceSpec }>;
  readonly sinks: ReadonlyArray<{ readonly node: GraphNode; readonly spec: SinkSpec }>;
  readonly stores: readonly StoreSpec[];
  /** Contains a join: all input topics must have the same partition count. */
  readonly copartitioned: boolean;
}

/** Partition counts for every topic the topology reads or writes, and tasks per sub-topology. */
export interface PartitionPlan {
  readonly partitions: ReadonlyMap<string, number>;
  readonly tasks: readonly number[];
}

/**
 * The built topology: the graph split into sub-topologies at repartition topics (sub-topology
 * n+1 never feeds sub-topology n's inputs: they are numbered in dataflow order), the topics and
 * stores, and the factory of tasks that a runtime drives.
 */
export class Topology {
  readonly applicationId: string;
  readonly subtopologies: readonly SubTopology[];

  constructor(
    graph: Graph,
    /** @internal */ readonly options: ResolvedOptions,
  ) {
    this.applicationId = options.applicationId;
    this.subtopologies = split(graph);
  }

  /** Topics the application reads that it does not own (streams and tables). */
  get sourceTopics(): string[] {
    return unique(this.subtopologies.flatMap((s) => s.sources.filter((x) => x.spec.kind !== 'repartition').map((x) => x.spec.topic)));
  }

  /** `<applicationId>-<name>-repartition` topics (created by the runtime). */
  get repartitionTopics(): string[] {
    return unique(this.subtopologies.flatMap((s) => s.sinks.filter((x) => x.spec.internal).map((x) => x.spec.topic)));
  }

  /** Topics written with to(). */
  get outputTopics(): string[] {
    return unique(this.subtopologies.flatMap((s) => s.sinks.filter((x) => !x.spec.internal).map((x) => x.spec.topic)));
  }

  /** Compacted changelog topics of the stores (source tables excluded: their topic is their changelog). */
  get changelogTopics(): string[] {
    const stores = this.subtopologies.flatMap((s) => s.stores.filter((x) => x.logged).map((x) => this.changelogTopic(x)));
    const wm = this.subtopologies.map((s) => `${this.applicationId}-${watermarkStoreName(s)}-changelog`);
    return unique([...stores, ...wm]);
  }

  /** The dead-letter topic, unless the policy is 'fail'. */
  get deadLetterTopic(): string | undefined {
    return this.options.deadLetter === 'fail' ? undefined : this.options.deadLetter;
  }

  /** Every store name (stable: derived from operator names, never from positions). */
  get stores(): string[] {
    return this.subtopologies.flatMap((s) => s.stores.map((x) => x.name));
  }

  describe(): string {
    return describeTopology(this);
  }

  /**
   * Partition counts: `known(topic)` gives those of existing topics (and overrides for internal
   * ones); repartition topics default to the co-partitioned inputs' count when they feed a join,
   * else to the writing sub-topology's task count. Throws CoPartitioningError when a join's inputs
   * differ, TopologyError when a source topic's count is unknown.
   */
  resolvePartitions(known: (topic: string) => number | undefined): PartitionPlan {
    const partitions = new Map<string, number>();
    const tasks: number[] = [];
    const writer = new Map<string, { sub: number; spec: SinkSpec }>();
    for (const s of this.subtopologies) for (const x of s.sinks) if (x.spec.internal) writer.set(x.spec.topic, { sub: s.id, spec: x.spec });
    for (const s of this.subtopologies) {
      const external: number[] = [];
      for (const x of s.sources) {
        if (x.spec.kind === 'repartition') continue;
        const n = known(x.spec.topic);
        if (n === undefined) throw new TopologyError(`the partition count of topic '${x.spec.topic}' is unknown`);
        checkCount(x.spec.topic, n);
        partitions.set(x.spec.topic, n);
        external.push(n);
      }
      for (const x of s.sources) {
        if (x.spec.kind !== 'repartition' || partitions.has(x.spec.topic)) continue;
        const w = writer.get(x.spec.topic)!;
        const n =
          known(x.spec.topic) ??
          w.spec.partitions ??
          (s.copartitioned && external.length > 0 ? Math.max(...external) : tasks[w.sub]!);
        checkCount(x.spec.topic, n);
        partitions.set(x.spec.topic, n);
      }
      const counts = s.sources.map((x) => [x.spec.topic, partitions.get(x.spec.topic)!] as const);
      if (s.copartitioned && new Set(counts.map((c) => c[1])).size > 1) {
        throw new CoPartitioningError(Object.fromEntries(counts), `the join in sub-topology ${s.id}`);
      }
      tasks[s.id] = Math.max(1, ...counts.map((c) => c[1]));
    }
    for (const t of [...this.outputTopics, ...(this.deadLetterTopic ? [this.deadLetterTopic] : [])]) {
      if (!partitions.has(t)) partitions.set(t, known(t) ?? 1);
    }
    return { partitions, tasks };
  }

  /** The task of sub-topology `subtopology` for `partition`, with its operators and stores. */
  createTask(subtopology: number, partition: number, plan: PartitionPlan, env: TaskEnvironment): Task {
    const s = this.subtopologies[subtopology];
    if (!s) throw new Error(`no sub-topology ${subtopology}`);
    const ops = new Map<GraphNode, Operator>();
    const getters = new Map<GraphNode, Getter>();
    const resolver: GetterResolver = {
      operatorOf: (n) => {
        const op = ops.get(n);
        if (!op) throw new TopologyError(`'${n.name}' is not in the same sub-topology as the operator that reads it`);
        return op;
      },
      getterOf: (n) => {
        let g = getters.get(n);
        if (!g) {
          if (!n.init.getter) throw new TopologyError(`'${n.name}' is not a table that can be looked up`);
          g = n.init.getter(resolver);
          getters.set(n, g);
        }
        return g;
      },
    };
    for (const n of s.nodes) ops.set(n, n.init.make(resolver));
    for (const n of s.nodes) {
      const op = ops.get(n)!;
      n.inputs.forEach((input, i) => {
        const parent = ops.get(input.node);
        if (parent) parent.connect(input.port, n.init.inputFor ? n.init.inputFor(op, i) : op);
      });
    }
    const sources = new Map<string, SourceOperator[]>();
    const clocks = new Map<string, PartitionClockPlan>();
    for (const x of s.sources) {
      const list = sources.get(x.spec.topic) ?? [];
      list.push(ops.get(x.node) as SourceOperator);
      sources.set(x.spec.topic, list);
      const prev = clocks.get(x.spec.topic);
      if (prev && prev.kind !== x.spec.kind) {
        throw new TopologyError(`topic '${x.spec.topic}' is read both as a ${prev.kind} and as a ${x.spec.kind}`);
      }
      clocks.set(x.spec.topic, {
        topic: x.spec.topic,
        kind: x.spec.kind,
        maxOutOfOrderness: Math.max(prev?.maxOutOfOrderness ?? 0, x.spec.maxOutOfOrderness),
        idleTimeout: Math.min(prev?.idleTimeout ?? Infinity, x.spec.idleTimeout),
      });
    }
    // A task reads only the partitions that exist: with merge()d topics of different sizes, the
    // higher tasks read the bigger topics only.
    for (const [topic] of clocks) {
      if (partition >= (plan.partitions.get(topic) ?? 1)) {
        clocks.delete(topic);
        sources.delete(topic);
      }
    }
    const stores: TaskStore[] = s.stores.map((x) => ({ name: x.name, logged: x.logged, changelogTopic: this.changelogTopic(x) }));
    return new Task(
      {
        applicationId: this.applicationId,
        subtopology,
        partition,
        taskCount: plan.tasks[subtopology]!,
        operators: s.nodes.map((n) => ops.get(n)!),
        sources,
        clocks: [...clocks.values()],
        stores,
        markerTopics: unique(s.sinks.filter((x) => x.spec.internal).map((x) => x.spec.topic)),
        deadLetter: this.options.deadLetter,
        closeIdleWindowsAfter: this.options.closeIdleWindowsAfter,
        watermarkStore: watermarkStoreName(s),
      },
      env,
    );
  }

  /** @internal */
  changelogTopic(store: StoreSpec): string {
    return store.changelogTopic ?? `${this.applicationId}-${store.name}-changelog`;
  }
}

/** Named after the sub-topology's first source, so it is as stable as the source's name. */
function watermarkStoreName(s: SubTopology): string {
  return `${s.sources[0]?.node.name ?? `subtopology-${s.id}`}-watermarks`;
}

function checkCount(topic: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new TopologyError(`topic '${topic}': partition count must be an integer >= 1, got ${n}`);
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/** Connected components (edges, plus table reads), numbered in dataflow order. */
function split(graph: Graph): SubTopology[] {
  const parent = graph.nodes.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  const union = (a: number, b: number) => {
    parent[find(a)] = find(b);
  };
  for (const n of graph.nodes) {
    for (const i of n.inputs) union(n.id, i.node.id);
    for (const c of n.colocated) union(n.id, c.id);
  }
  const groups = new Map<number, GraphNode[]>();
  for (const n of graph.nodes) {
    const r = find(n.id);
    const g = groups.get(r) ?? [];
    g.push(n);
    groups.set(r, g);
  }
  const comps = [...groups.values()];
  // Order: a component reading a repartition topic comes after the one writing it.
  const writerOf = new Map<string, number>();
  comps.forEach((c, i) => {
    for (const n of c) if (n.init.sink?.internal) writerOf.set(n.init.sink.topic, i);
  });
  const deps = comps.map((c) => {
    const d = new Set<number>();
    for (const n of c) if (n.init.source?.kind === 'repartition') d.add(writerOf.get(n.init.source.topic)!);
    return d;
  });
  const order: number[] = [];
  const done = new Set<number>();
  while (order.length < comps.length) {
    let next = -1;
    for (let i = 0; i < comps.length; i++) {
      if (done.has(i) || [...deps[i]!].some((d) => !done.has(d))) continue;
      if (next === -1 || comps[i]![0]!.id < comps[next]![0]!.id) next = i;
    }
    if (next === -1) throw new TopologyError('the repartition topics form a cycle');
    done.add(next);
    order.push(next);
  }
  return order.map((ci, id) => {
    const nodes = comps[ci]!;
    return {
      id,
      nodes,
      sources: nodes.filter((n) => n.init.source).map((n) => ({ node: n, spec: n.init.source! })),
      sinks: nodes.filter((n) => n.init.sink).map((n) => ({ node: n, spec: n.init.sink! })),
      stores: nodes.flatMap((n) => n.stores),
      copartitioned: nodes.some((n) => n.init.join),
    };
  });
}
