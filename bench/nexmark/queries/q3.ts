/**
 * q3 (local item suggestion): people in OR, ID or CA who sell in category 10, with the auction id.
 *
 *   SELECT P.name, P.city, P.state, A.id FROM auction A JOIN person P ON A.seller = P.id
 *   WHERE A.category = 10 AND P.state IN ('OR', 'ID', 'CA')
 *
 * A regular (unwindowed) join: both sides keep their rows forever. The engine's joins are
 * stream-table (misses auctions that arrive before their seller) and windowed stream-stream, so
 * this is a keyed process(): per person id, the person (once seen) and the auctions waiting for
 * it. An unwindowed stream-stream join operator would make it direct.
 */
import { json, type ProcessorContext, type ValueState, type ListState } from '../../../src/index.js';
import type { Auction, NexmarkEvent, Person } from '../model.js';
import { eventBinary } from '../event-binary.js';
import { emit, idKey, type NexmarkQuery } from './query.js';

export interface Q3Row {
  name: string;
  city: string;
  state: string;
  id: number;
}

const STATES = new Set(['OR', 'ID', 'CA']);

export const q3: NexmarkQuery = {
  name: 'q3',
  title: 'local item suggestion: auction x person join',
  reads: { person: ['name', 'city', 'state'], auction: [] },
  build(events, output) {
    const rows = events
      .filter((e): e is Auction | Person => (e.type === 'auction' && e.category === 10) || (e.type === 'person' && STATES.has(e.state)))
      .keyBy((e) => (e.type === 'person' ? e.id : e.seller), { key: idKey(), value: eventBinary(), name: 'q3-by-person' })
      .process<number, Q3Row>(() => {
        let person!: ValueState<Person>;
        let waiting!: ListState<number>;
        return {
          init(ctx) {
            person = ctx.state.value('person');
            waiting = ctx.state.list('auctions');
          },
          process(r, ctx: ProcessorContext<number, number, Q3Row>) {
            const e = r.value as NexmarkEvent;
            if (e.type === 'person') {
              person.set(e);
              for (const id of waiting.get()) ctx.forward(id, { name: e.name, city: e.city, state: e.state, id });
              waiting.clear();
            } else if (e.type === 'auction') {
              const p = person.get();
              if (p) ctx.forward(e.id, { name: p.name, city: p.city, state: p.state, id: e.id });
              else waiting.add(e.id);
            }
          },
        };
      }, { name: 'q3-join' });
    emit(rows, output, json<Q3Row>());
  },
};
