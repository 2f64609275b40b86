import { formatMillis } from './duration.js';
import type { Topology } from './topology.js';

/**
 * The topology as text, in the shape of Kafka Streams' Topology#describe(): per sub-topology
 * its sources, processors (with stores) and sinks, with arrows to successors (-->) and from
 * predecessors (<--); then the internal topics.
 *
 *   Topology: clicks
 *     Sub-topology: 0
 *       Source: clicks (topics: [clicks])
 *         --> clicks-filter
 *       Processor: clicks-filter (stores: [])
 *         --> clicks-keyBy
 *         <-- clicks
 *       ...
 */
export function describeTopology(t: Topology): string {
  const lines: string[] = [`Topology: ${t.applicationId}`];
  for (const s of t.subtopologies) {
    lines.push(`  Sub-topology: ${s.id}`);
    const inSub = new Set(s.nodes);
    for (const n of s.nodes) {
      let head: string;
      if (n.init.source) head = `Source: ${n.name} (topics: [${n.init.source.topic}]${n.init.source.kind === 'table' ? ', table' : ''})`;
      else if (n.init.sink) head = `Sink: ${n.name} (topic: ${n.init.sink.topic})`;
      else head = `Processor: ${n.name} (${n.type}; stores: [${n.stores.map((x) => x.name).join(', ')}])`;
      lines.push(`    ${head}`);
      if (n.init.detail && !n.init.source && !n.init.sink) lines.push(`      ${n.init.detail}`);
      if (n.init.source && n.init.source.kind === 'stream' && n.init.source.maxOutOfOrderness > 0) {
        lines.push(`      max out-of-orderness ${formatMillis(n.init.source.maxOutOfOrderness)}`);
      }
      const next = n.children.filter((c) => inSub.has(c.node));
      if (next.length > 0) {
        lines.push(`      --> ${next.map((c) => (c.port === 'main' ? c.node.name : `${c.node.name} [${c.port}]`)).join(', ')}`);
      }
      const prev = [...n.inputs.map((i) => i.node), ...n.colocated].filter((p) => inSub.has(p));
      if (prev.length > 0) lines.push(`      <-- ${prev.map((p) => p.name).join(', ')}`);
    }
  }
  const repartition = t.repartitionTopics;
  const changelogs = t.changelogTopics;
  if (repartition.length + changelogs.length > 0) {
    lines.push('  Internal topics:');
    for (const r of repartition) lines.push(`    ${r} (repartition)`);
    for (const c of changelogs) lines.push(`    ${c} (changelog)`);
  }
  if (t.deadLetterTopic) lines.push(`  Dead-letter topic: ${t.deadLetterTopic}`);
  return lines.join('\n') + '\n';
}
