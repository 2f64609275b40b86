import type { Topology } from '../engine/topology.js';

export interface GraphNodeJson {
  readonly id: string;
  readonly name: string;
  /** 'source', 'sink', or the operator type (filter, window-aggregate, ...). */
  readonly type: string;
  readonly subtopology: number;
  readonly stores: readonly string[];
  /** Source and sink nodes: their topic; `internal`: a repartition topic. */
  readonly topic?: string;
  readonly internal?: boolean;
  readonly detail?: string;
}

export interface TopologyGraph {
  readonly applicationId: string;
  readonly subtopologies: ReadonlyArray<{ readonly id: number; readonly nodes: readonly string[] }>;
  readonly nodes: readonly GraphNodeJson[];
  /** Edges inside sub-topologies (port: a branch's output) and from a repartition sink to its sources. */
  readonly edges: ReadonlyArray<{ readonly from: string; readonly to: string; readonly port?: string; readonly via?: string }>;
  readonly topics: { readonly sources: readonly string[]; readonly outputs: readonly string[]; readonly repartition: readonly string[]; readonly changelogs: readonly string[]; readonly deadLetter: string | null };
  /** The text form (Kafka Streams' describe()). */
  readonly text: string;
}

/** The topology as a graph for the page: what describe() prints, as nodes and edges. */
export function topologyGraph(t: Topology): TopologyGraph {
  const nodes: GraphNodeJson[] = [];
  const edges: Array<{ from: string; to: string; port?: string; via?: string }> = [];
  const writers = new Map<string, string[]>();
  const readers = new Map<string, string[]>();
  for (const s of t.subtopologies) {
    for (const n of s.nodes) {
      const src = n.init.source;
      const sink = n.init.sink;
      nodes.push({
        id: n.name,
        name: n.name,
        type: src ? 'source' : sink ? 'sink' : n.type,
        subtopology: s.id,
        stores: n.stores.map((x) => x.name),
        ...(src ? { topic: src.topic, internal: src.kind === 'repartition' } : {}),
        ...(sink ? { topic: sink.topic, internal: sink.internal } : {}),
        ...(n.init.detail ? { detail: n.init.detail } : {}),
      });
      for (const c of n.children) edges.push({ from: n.name, to: c.node.name, ...(c.port !== 'main' ? { port: c.port } : {}) });
      if (sink?.internal) writers.set(sink.topic, [...(writers.get(sink.topic) ?? []), n.name]);
      if (src?.kind === 'repartition') readers.set(src.topic, [...(readers.get(src.topic) ?? []), n.name]);
    }
  }
  for (const [topic, ws] of writers) for (const w of ws) for (const r of readers.get(topic) ?? []) edges.push({ from: w, to: r, via: topic });
  return {
    applicationId: t.applicationId,
    subtopologies: t.subtopologies.map((s) => ({ id: s.id, nodes: s.nodes.map((n) => n.name) })),
    nodes,
    edges,
    topics: {
      sources: t.sourceTopics,
      outputs: t.outputTopics,
      repartition: t.repartitionTopics,
      changelogs: t.changelogTopics,
      deadLetter: t.deadLetterTopic ?? null,
    },
    text: t.describe(),
  };
}
