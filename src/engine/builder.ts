import { StoreKeyCodec, TopicCodec, KEY_FORMAT_HEADER, VALUE_FORMAT_HEADER } from './codec.js';
import { Graph, type GraphNode, type NodeInit } from './graph.js';
import { SinkOperator } from './operators/sink.js';
import { SourceOperator } from './operators/source.js';
import type { ResolvedOptions } from './options.js';
import type { Partitioner } from './partitioner.js';
import type { Serde } from './serdes.js';

/**
 * What the typed API knows about a stream besides its types: the serdes of key and value when
 * they are still known (from the source or given later), whether the key changed since the last
 * partitioning (so keyed operations must repartition first), and the lineage — the name stateful
 * operators derive their default names from, which stateless steps do not change, so adding a
 * filter does not rename state.
 */
export interface StreamInfo {
  readonly keySerde: Serde<unknown> | undefined;
  readonly valueSerde: Serde<unknown> | undefined;
  readonly keyChanged: boolean;
  readonly lineage: string;
}

/** Where a stream's records come from: a node's output port. */
export interface Upstream {
  readonly node: GraphNode;
  readonly port: string;
}

export interface RepartitionSpec {
  readonly name: string;
  readonly keySerde: Serde<unknown> | undefined;
  readonly valueSerde: Serde<unknown> | undefined;
  readonly partitions: number | undefined;
  readonly partitioner: Partitioner<unknown, unknown> | undefined;
}

/** Shared by the API objects of one app: the graph and the app's options. */
export class Builder {
  readonly graph: Graph;

  constructor(readonly options: ResolvedOptions) {
    this.graph = new Graph(options.applicationId);
  }

  add(init: NodeInit): GraphNode {
    return this.graph.add(init);
  }

  name(user: string | undefined, base: string): string {
    return this.graph.name(user, base);
  }

  /**
   * Writes the stream to `<applicationId>-<name>-repartition` and reads it back: the sub-topology
   * boundary. Records are partitioned by their (new) key, so every record of a key reaches the same
   * downstream task.
   */
  repartition(up: Upstream, spec: RepartitionSpec): GraphNode {
    const topic = `${this.options.applicationId}-${spec.name}-repartition`;
    const sinkName = this.name(undefined, `${spec.name}-repartition-sink`);
    this.add({
      type: 'repartition-sink',
      name: sinkName,
      inputs: [up],
      sink: { topic, internal: true, partitions: spec.partitions },
      make: () =>
        new SinkOperator(
          sinkName,
          topic,
          new TopicCodec(spec.keySerde, KEY_FORMAT_HEADER, true),
          new TopicCodec(spec.valueSerde, VALUE_FORMAT_HEADER, true),
          spec.partitioner,
          true,
        ),
      detail: `topic: ${topic}`,
    });
    const sourceName = this.name(undefined, `${spec.name}-repartition-source`);
    return this.add({
      type: 'source',
      name: sourceName,
      source: { topic, kind: 'repartition', maxOutOfOrderness: 0, idleTimeout: this.options.idleTimeout },
      make: () =>
        new SourceOperator(
          sourceName,
          new TopicCodec(spec.keySerde, KEY_FORMAT_HEADER, true),
          new TopicCodec(spec.valueSerde, VALUE_FORMAT_HEADER, true),
          undefined,
          true,
        ),
      detail: `topics: [${topic}]`,
    });
  }

  storeKeyCodec(info: StreamInfo): StoreKeyCodec {
    return new StoreKeyCodec(info.keySerde);
  }
}
