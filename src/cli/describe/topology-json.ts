import type { Topology } from '../../engine/topology.js';

/** One operator of `tributary describe --json`. */
export interface NodeJson {
  readonly name: string;
  /** 'source', 'table-source', 'sink', or the processor's type ('filter', 'window-aggregate', ...). */
  readonly type: string;
  readonly kind: 'source' | 'processor' | 'sink';
  /** The topic a source reads or a sink writes. */
  readonly topic?: string;
  readonly stores: readonly string[];
  /** Successors within the sub-topology (with the port when it is not the main one: "late", a branch). */
  readonly next: readonly string[];
  readonly prev: readonly string[];
}

/** The machine-readable form of `tributary describe`: what describeTopology() prints as text. */
export interface TopologyJson {
  readonly application_id: string;
  readonly subtopologies: ReadonlyArray<{ readonly id: number; readonly nodes: readonly NodeJson[] }>;
  readonly source_topics: readonly string[];
  readonly output_topics: readonly string[];
  readonly repartition_topics: readonly string[];
  readonly changelog_topics: readonly string[];
  readonly dead_letter_topic: string | null;
}

export function topologyJson(t: Topology): TopologyJson {
  return {
    application_id: t.applicationId,
    subtopologies: t.subtopologies.map((s) => {
      const inSub = new Set(s.nodes);
      return {
        id: s.id,
        nodes: s.nodes.map((n): NodeJson => {
          const kind = n.init.source ? 'source' : n.init.sink ? 'sink' : 'processor';
          const topic = n.init.source?.topic ?? n.init.sink?.topic;
          return {
            name: n.name,
            type: n.type,
            kind,
            ...(topic !== undefined ? { topic } : {}),
            stores: n.stores.map((x) => x.name),
            next: n.children.filter((c) => inSub.has(c.node)).map((c) => (c.port === 'main' ? c.node.name : `${c.node.name} [${c.port}]`)),
            prev: [...n.inputs.map((i) => i.node), ...n.colocated].filter((p) => inSub.has(p)).map((p) => p.name),
          };
        }),
      };
    }),
    source_topics: t.sourceTopics,
    output_topics: t.outputTopics,
    repartition_topics: t.repartitionTopics,
    changelog_topics: t.changelogTopics,
    dead_letter_topic: t.deadLetterTopic ?? null,
  };
}
