package dev.tributary.peers;

import static dev.tributary.peers.Model.json;

import dev.tributary.peers.Model.*;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.*;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The Nexmark queries in the Kafka Streams DSL, with the semantics of Tributary's
 * (bench/nexmark/queries/q*.ts) and nexmark/nexmark's SQL. Where the DSL has the operator, it is
 * used: filter/mapValues (q0-q2), a foreign-key table-table join (q3), a table groupBy with
 * adder/subtractor (q4 stage 2), hopping-window count + suppress (q5), a tumbling-window aggregate
 * (q8). Kafka Streams has no unwindowed stream-stream join and no event-time timers, so the regular
 * join of q4 and the per-window maxima of q5 and q7 are process() steps with state stores (the
 * Processor API inside the DSL, as a Kafka Streams user writes them). The window's "watermark" is
 * stream time minus nexmark's 4 s out-of-orderness (Kafka Streams' grace period).
 */
final class NexmarkTopologies {
  private NexmarkTopologies() {}

  static final Duration SIZE_10S = Duration.ofSeconds(10);
  static final Duration GRACE = Duration.ofSeconds(4);
  static final long OUT_OF_ORDERNESS_MS = 4000;
  static final Serde<Long> LONG = Serdes.Long();
  static final Serde<byte[]> BYTES = Serdes.ByteArray();

  static final List<String> QUERIES = List.of("q0", "q1", "q2", "q3", "q4", "q5", "q7", "q8");

  /**
   * What each query reads of the events: the `reads:` of Tributary's bench/nexmark/queries/qN.ts
   * (event type -> its text fields read; a type missing is not read), so both sides decode the same.
   */
  static final Map<String, Map<String, List<String>>> READS = Map.of(
      "q0", Map.of("bid", List.of("extra")),
      "q1", Map.of("bid", List.of("extra")),
      "q2", Map.of("bid", List.of()),
      "q3", Map.of("person", List.of("name", "city", "state"), "auction", List.of()),
      "q4", Map.of("auction", List.of(), "bid", List.of()),
      "q5", Map.of("bid", List.of()),
      "q7", Map.of("bid", List.of("extra")),
      "q8", Map.of("person", List.of("name"), "auction", List.of()));

  static void build(StreamsBuilder b, String query, String input, String output) {
    if (!READS.containsKey(query)) throw new IllegalArgumentException("the Kafka Streams peer has no " + query + "; it has " + QUERIES);
    Serde<Event> serde = Model.events(READS.get(query));
    KStream<byte[], Event> events = b.stream(input, Consumed.with(BYTES, serde));
    switch (query) {
      case "q0" -> events.filter((k, e) -> e.bid != null).mapValues(e -> new Q0Row(e.bid)).to(output, Produced.with(BYTES, json(Q0Row.class)));
      case "q1" -> events.filter((k, e) -> e.bid != null).mapValues(e -> new Q1Row(e.bid)).to(output, Produced.with(BYTES, json(Q1Row.class)));
      case "q2" -> events
          .filter((k, e) -> e.bid != null && e.bid.auction % 123 == 0)
          .mapValues(e -> new Q2Row(e.bid.auction, e.bid.price))
          .to(output, Produced.with(BYTES, json(Q2Row.class)));
      case "q3" -> q3(events, output);
      case "q4" -> q4(b, events, output);
      case "q5" -> q5(b, events, output);
      case "q7" -> q7(b, events, output);
      case "q8" -> q8(events, output);
      default -> throw new IllegalArgumentException("the Kafka Streams peer has no " + query + "; it has " + QUERIES);
    }
  }

  // q3: people in OR/ID/CA selling in category 10. A foreign-key join of the auctions table
  // (keyed by auction id) to the people table (keyed by person id) on auction.seller.
  private static final Set<String> STATES = Set.of("OR", "ID", "CA");

  private static void q3(KStream<byte[], Event> events, String output) {
    KTable<Long, Person> people = events
        .filter((k, e) -> e.person != null && STATES.contains(e.person.state))
        .map((k, e) -> KeyValue.pair(e.person.id, e.person))
        .toTable(Named.as("q3-people"), Materialized.<Long, Person, KeyValueStore<Bytes, byte[]>>as("q3-people-store").withKeySerde(LONG).withValueSerde(json(Person.class)));
    KTable<Long, Auction> auctions = events
        .filter((k, e) -> e.auction != null && e.auction.category == 10)
        .map((k, e) -> KeyValue.pair(e.auction.id, e.auction))
        .toTable(Named.as("q3-auctions"), Materialized.<Long, Auction, KeyValueStore<Bytes, byte[]>>as("q3-auctions-store").withKeySerde(LONG).withValueSerde(json(Auction.class)));
    auctions
        .join(people, (Auction a) -> a.seller, (Auction a, Person p) -> new Q3Row(p, a.id),
            Materialized.<Long, Q3Row, KeyValueStore<Bytes, byte[]>>as("q3-join").withKeySerde(LONG).withValueSerde(json(Q3Row.class)))
        .toStream()
        .filter((id, row) -> row != null)
        .to(output, Produced.with(LONG, json(Q3Row.class)));
  }

  // q4: average winning price per category. Stage 1 (process): the regular join of auction and
  // bids keyed by auction id, with the running maximum of the bids inside [dateTime, expires].
  // Stage 2 (DSL): the auctions' maxima as a table, grouped by category, sum and count with a
  // subtractor, so a new maximum replaces the old one (Flink's retraction).
  private static void q4(StreamsBuilder b, KStream<byte[], Event> events, String output) {
    b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore("q4-auctions"), LONG, json(AuctionState.class)));
    events
        .filter((k, e) -> e.bid != null || e.auction != null)
        .selectKey((k, e) -> e.bid != null ? e.bid.auction : e.auction.id)
        // The hop carries whole events: binary, as Tributary's hops (Model.eventBinary), not JSON.
        .repartition(Repartitioned.<Long, Event>as("q4-by-auction").withKeySerde(LONG).withValueSerde(Model.eventBinary()))
        .process(() -> new Processor<Long, Event, Long, AuctionMax>() {
          private KeyValueStore<Long, AuctionState> store;
          private ProcessorContext<Long, AuctionMax> ctx;

          @Override
          public void init(ProcessorContext<Long, AuctionMax> context) {
            ctx = context;
            store = context.getStateStore("q4-auctions");
          }

          private boolean offer(Record<Long, Event> r, AuctionState s, long price, long t) {
            if (t < s.dateTime || t > s.expires) return false;
            if (s.max != null && s.max >= price) return false;
            s.max = price;
            ctx.forward(new Record<>(r.key(), new AuctionMax(r.key(), s.category, price), r.timestamp()));
            return true;
          }

          @Override
          public void process(Record<Long, Event> r) {
            AuctionState s = store.get(r.key());
            if (s == null) s = new AuctionState();
            Event e = r.value();
            boolean changed;
            if (e.auction != null) {
              s.seen = true;
              s.dateTime = e.auction.dateTime;
              s.expires = e.auction.expires;
              s.category = e.auction.category;
              if (s.waiting != null) for (long[] w : s.waiting) offer(r, s, w[0], w[1]);
              s.waiting = null;
              changed = true;
            } else if (s.seen) {
              changed = offer(r, s, e.bid.price, e.bid.dateTime);
            } else {
              if (s.waiting == null) s.waiting = new ArrayList<>();
              s.waiting.add(new long[] {e.bid.price, e.bid.dateTime});
              changed = true;
            }
            if (changed) store.put(r.key(), s);
          }
        }, "q4-auctions")
        .toTable(Named.as("q4-maxima"), Materialized.<Long, AuctionMax, KeyValueStore<Bytes, byte[]>>as("q4-maxima-store").withKeySerde(LONG).withValueSerde(json(AuctionMax.class)))
        .groupBy((auction, m) -> KeyValue.pair(m.category, m.max), Grouped.with("q4-by-category", LONG, LONG))
        .aggregate(SumCount::new,
            (category, max, agg) -> {
              agg.sum += max;
              agg.count++;
              return agg;
            },
            (category, max, agg) -> {
              agg.sum -= max;
              agg.count--;
              return agg;
            },
            Materialized.<Long, SumCount, KeyValueStore<Bytes, byte[]>>as("q4-avg").withKeySerde(LONG).withValueSerde(json(SumCount.class)))
        .toStream()
        .filter((category, agg) -> agg != null && agg.count > 0)
        .mapValues((category, agg) -> new Q4Row(category, agg.sum / agg.count))
        .to(output, Produced.with(LONG, json(Q4Row.class)));
  }

  // q5: hot items. Count per auction per HOP(2 s, 10 s), final counts only (suppress until the
  // window closes), then per window start the auctions at the maximum count. Suppress releases
  // closed windows in the order of their end, so a window is complete when a later one arrives.
  private static void q5(StreamsBuilder b, KStream<byte[], Event> events, String output) {
    b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore("q5-top"), LONG, json(Top.class)));
    events
        .filter((k, e) -> e.bid != null)
        .map((k, e) -> KeyValue.pair(e.bid.auction, e.bid.dateTime))
        .groupByKey(Grouped.with("q5-by-auction", LONG, LONG))
        .windowedBy(TimeWindows.ofSizeAndGrace(SIZE_10S, GRACE).advanceBy(Duration.ofSeconds(2)))
        .count(Materialized.<Long, Long, WindowStore<Bytes, byte[]>>as("q5-count").withKeySerde(LONG).withValueSerde(LONG))
        .suppress(Suppressed.untilWindowCloses(Suppressed.BufferConfig.unbounded()))
        .toStream()
        .map((w, n) -> KeyValue.pair(w.window().start(), new Q5Row(w.key(), n, w.window().start(), w.window().end())))
        .repartition(Repartitioned.<Long, Q5Row>as("q5-by-window").withKeySerde(LONG).withValueSerde(json(Q5Row.class)))
        .process(() -> new Processor<Long, Q5Row, Long, Q5Row>() {
          private KeyValueStore<Long, Top> store;
          private ProcessorContext<Long, Q5Row> ctx;

          @Override
          public void init(ProcessorContext<Long, Q5Row> context) {
            ctx = context;
            store = context.getStateStore("q5-top");
          }

          @Override
          public void process(Record<Long, Q5Row> r) {
            long start = r.key();
            List<Long> done = new ArrayList<>();
            try (KeyValueIterator<Long, Top> it = store.all()) {
              while (it.hasNext()) {
                KeyValue<Long, Top> kv = it.next();
                if (kv.key >= start) continue;
                for (Q5Row row : kv.value.rows) ctx.forward(new Record<>(kv.key, row, r.timestamp()));
                done.add(kv.key);
              }
            }
            for (Long k : done) store.delete(k);
            Q5Row row = r.value();
            Top t = store.get(start);
            if (t == null) {
              t = new Top();
              t.max = row.num;
            } else if (row.num > t.max) {
              t.max = row.num;
              t.rows.clear();
            } else if (row.num < t.max) return;
            t.rows.add(row);
            store.put(start, t);
          }
        }, "q5-top")
        .to(output, Produced.with(LONG, json(Q5Row.class)));
  }

  // q7: the bids at the highest price of each 10 s tumbling window (BETWEEN end - 10 s AND end,
  // inclusive). One partition in, so one task sees every bid: per open window its maximum and the
  // bids that may still equal it, emitted once stream time - 4 s passes the window's end + 1 ms.
  private static void q7(StreamsBuilder b, KStream<byte[], Event> events, String output) {
    final long size = SIZE_10S.toMillis();
    b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore("q7-windows"), LONG, json(Open.class)));
    events
        .filter((k, e) -> e.bid != null)
        .process(() -> new Processor<byte[], Event, Long, Q7Row>() {
          private KeyValueStore<Long, Open> open;
          private ProcessorContext<Long, Q7Row> ctx;
          private long maxTime = Long.MIN_VALUE;

          @Override
          public void init(ProcessorContext<Long, Q7Row> context) {
            ctx = context;
            open = context.getStateStore("q7-windows");
          }

          @Override
          public void process(Record<byte[], Event> r) {
            Bid bid = r.value().bid;
            long watermark = maxTime == Long.MIN_VALUE ? Long.MIN_VALUE : maxTime - OUT_OF_ORDERNESS_MS;
            maxTime = Math.max(maxTime, bid.dateTime);
            long start = Math.floorDiv(bid.dateTime, size) * size;
            if (start + size + 1 > watermark) {
              Q7Row row = new Q7Row(bid);
              Open w = open.get(start);
              if (w == null) {
                w = new Open();
                w.max = bid.price;
                w.candidates.add(row);
                open.put(start, w);
              } else if (bid.price >= w.max) {
                if (bid.price > w.max) w.candidates.removeIf(c -> c.price < bid.price);
                w.candidates.add(row);
                w.max = bid.price;
                open.put(start, w);
              }
              // A bid at exactly the previous window's end is also in that window's BETWEEN.
              if (bid.dateTime == start) {
                Open prev = open.get(start - size);
                if (prev != null && bid.price >= prev.max) {
                  prev.candidates.add(row);
                  open.put(start - size, prev);
                }
              }
            }
            long now = maxTime - OUT_OF_ORDERNESS_MS;
            List<Long> closed = new ArrayList<>();
            try (KeyValueIterator<Long, Open> it = open.all()) {
              while (it.hasNext()) {
                KeyValue<Long, Open> kv = it.next();
                if (kv.key + size + 1 > now) continue;
                for (Q7Row c : kv.value.candidates) if (c.price == kv.value.max) ctx.forward(new Record<>(0L, c, kv.key + size));
                closed.add(kv.key);
              }
            }
            for (Long k : closed) open.delete(k);
          }
        }, "q7-windows")
        .to(output, Produced.with(LONG, json(Q7Row.class)));
  }

  // q8: people who opened an auction in the 10 s tumbling window they registered in. A windowed
  // aggregate per person id over people and auctions (by seller); the update that completes a
  // pair is emitted (Flink emits the same row at the window's end). Caching off: every update.
  private static void q8(KStream<byte[], Event> events, String output) {
    events
        .filter((k, e) -> e.person != null || e.auction != null)
        .map((k, e) -> e.person != null ? KeyValue.pair(e.person.id, "P" + e.person.name) : KeyValue.pair(e.auction.seller, "A"))
        .groupByKey(Grouped.with("q8-by-person", LONG, Serdes.String()))
        .windowedBy(TimeWindows.ofSizeAndGrace(SIZE_10S, GRACE))
        .aggregate(Pair::new,
            (id, v, p) -> {
              boolean was = p.name != null && p.seller;
              if (v.charAt(0) == 'P') p.name = v.substring(1);
              else p.seller = true;
              p.fresh = !was && p.name != null && p.seller;
              return p;
            },
            Materialized.<Long, Pair, WindowStore<Bytes, byte[]>>as("q8-windows").withKeySerde(LONG).withValueSerde(json(Pair.class)).withCachingDisabled())
        .toStream()
        .filter((w, p) -> p != null && p.fresh)
        .map((w, p) -> KeyValue.pair(w.key(), new Q8Row(w.key(), p.name, w.window().start())))
        .to(output, Produced.with(LONG, json(Q8Row.class)));
  }
}
