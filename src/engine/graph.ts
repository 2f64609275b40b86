import { TopologyError } from './errors.js';
import type { KeyValueStore } from '../state/kv-store.js';
import type { Operator } from './operators/operator.js';
import type { Serde } from './serdes.js';
import type { StoreLookup } from './store-lookup.js';
import type { InputKind } from './watermarks.js';

/**
 * The logical dataflow graph the typed API builds: one node per operator, in creation order
 * (which is a topological order — a node's inputs always exist before it). The topology splits
 * it into sub-topologies; each task instantiates the operators of one sub-topology.
 */

export interface StoreSpec {
  readonly name: string;
  /** false for a table read from its source topic: the topic is the changelog. */
  readonly logged: boolean;
  /** Where the store's changelog lives when it is not `<applicationId>-<name>-changelog`. */
  readonly changelogTopic?: string;
}

export interface SourceSpec {
  readonly topic: string;
  readonly kind: InputKind;
  readonly maxOutOfOrderness: number;
  readonly idleTimeout: number;
}

export interface SinkSpec {
  readonly topic: string;
  readonly internal: boolean;
  /** Partition count asked for (repartition topics). */
  readonly partitions: number | undefined;
}

/** Reads a table's current value for a key inside a task (undefined = absent). */
export type Getter = (key: unknown) => unknown;

export interface GetterResolver {
  operatorOf(node: GraphNode): Operator;
  getterOf(node: GraphNode): Getter;
}

export interface NodeInit {
  readonly type: string;
  readonly name: string;
  /** Creates the node's operator in a task; `r` resolves other nodes' table getters. */
  readonly make: (r: GetterResolver) => Operator;
  readonly inputs?: ReadonlyArray<{ node: GraphNode; port?: string }>;
  readonly stores?: readonly StoreSpec[];
  readonly source?: SourceSpec;
  readonly sink?: SinkSpec;
  /** Nodes whose state this node reads (a joined table): must run in the same task. */
  readonly colocated?: readonly GraphNode[];
  /** The inputs must be co-partitioned (joins). */
  readonly join?: boolean;
  /** A multi-input operator's entry for input i. */
  readonly inputFor?: (op: Operator, input: number) => Operator;
  /** Table nodes: how to read the table's current value for a key. */
  readonly getter?: (r: GetterResolver) => Getter;
  /**
   * Table nodes with a store: decodes the store's entries into (key, value), for the test driver;
   * `watermark` is the task's (windows of panes it has closed are not in the table any more).
   */
  readonly read?: (store: (name: string) => KeyValueStore, watermark: number) => Iterable<readonly [unknown, unknown]>;
  /** Table nodes with `read`: the entries of one key without scanning (interactive queries by key). */
  readonly lookup?: StoreLookup;
  /** Source nodes: the serdes of the topic, so the test driver can encode input for it. */
  readonly serdes?: { readonly key: Serde<unknown>; readonly value: Serde<unknown> };
  readonly detail?: string;
}

export class GraphNode {
  readonly inputs: ReadonlyArray<{ node: GraphNode; port: string }>;
  readonly children: Array<{ node: GraphNode; port: string }> = [];
  readonly stores: readonly StoreSpec[];
  readonly colocated: readonly GraphNode[];

  constructor(
    readonly id: number,
    readonly init: NodeInit,
  ) {
    this.inputs = (init.inputs ?? []).map((i) => ({ node: i.node, port: i.port ?? 'main' }));
    this.stores = init.stores ?? [];
    this.colocated = init.colocated ?? [];
  }

  get name(): string {
    return this.init.name;
  }
  get type(): string {
    return this.init.type;
  }
}

export class Graph {
  readonly nodes: GraphNode[] = [];
  private readonly names = new Set<string>();
  private readonly storeNames = new Set<string>();

  constructor(readonly applicationId: string) {}

  /** A unique name: the user's (an error if taken) or `base` with a numeric suffix if needed. */
  name(userName: string | undefined, base: string): string {
    if (userName !== undefined) {
      if (!/^[A-Za-z0-9._-]+$/.test(userName)) {
        throw new TopologyError(`name '${userName}' may only use letters, digits, '.', '_' and '-' (it names topics)`);
      }
      if (this.names.has(userName)) throw new TopologyError(`two operators are named '${userName}'`);
      this.names.add(userName);
      return userName;
    }
    let n = base;
    for (let i = 2; this.names.has(n); i++) n = `${base}-${i}`;
    this.names.add(n);
    return n;
  }

  add(init: NodeInit): GraphNode {
    for (const s of init.stores ?? []) {
      if (this.storeNames.has(s.name)) throw new TopologyError(`two stores are named '${s.name}'`);
      this.storeNames.add(s.name);
    }
    const node = new GraphNode(this.nodes.length, init);
    for (const i of node.inputs) i.node.children.push({ node, port: i.port });
    this.nodes.push(node);
    return node;
  }
}
