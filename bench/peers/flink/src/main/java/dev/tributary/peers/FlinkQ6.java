package dev.tributary.peers;

import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.api.java.tuple.Tuple4;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.types.Row;
import org.apache.flink.util.Collector;

/**
 * q6 in Flink: per seller, the average winning price of their last 10 closed auctions, a row
 * (seller, avg_price) each time one of their auctions closes.
 *
 * nexmark/nexmark's q6.sql (AVG OVER ROWS 10 PRECEDING over a ROW_NUMBER top-1) is rejected by
 * Flink's planner: an OVER aggregate cannot consume the update stream a top-1 produces. So this
 * is the DataStream API over the same tables (the `auction` and `bid` views, rowtime and
 * watermarks kept by toDataStream), with the semantics of Tributary's q6
 * (bench/nexmark/queries/q6.ts) and Beam's Query6: an auction's winning price is its highest bid
 * with dateTime BETWEEN the auction's dateTime AND expires; it closes when the watermark passes
 * expires (an event-time timer at expires + 1 ms); per seller the last 10 winning prices, in
 * closing order, averaged (truncated, as AVG of BIGINT).
 */
final class FlinkQ6 {
  private FlinkQ6() {}

  static long ms(Object t) {
    return ((LocalDateTime) t).toInstant(ZoneOffset.UTC).toEpochMilli();
  }

  /** The query's output stream, (seller, avg_price), over the environment's auction and bid views. */
  static DataStream<Tuple2<Long, Long>> build(StreamTableEnvironment t) {
    DataStream<Row> auctions = t.toDataStream(t.sqlQuery("SELECT id, seller, `dateTime`, expires FROM auction"));
    DataStream<Row> bids = t.toDataStream(t.sqlQuery("SELECT auction, price, `dateTime` FROM bid"));
    return auctions
        .keyBy(r -> (Long) r.getField(0), Types.LONG)
        .connect(bids.keyBy(r -> (Long) r.getField(0), Types.LONG))
        .process(new Winner())
        .returns(Types.TUPLE(Types.LONG, Types.LONG, Types.LONG, Types.LONG))
        .keyBy(w -> w.f0, Types.LONG)
        .process(new LastTenAverage())
        .returns(Types.TUPLE(Types.LONG, Types.LONG));
  }

  /** Per auction id: the auction, its highest bid in range, bids that came before it; (seller, price, auction, expires) at close. */
  static final class Winner extends KeyedCoProcessFunction<Long, Row, Row, Tuple4<Long, Long, Long, Long>> {
    /** seller, dateTime, expires; seller -1 once closed. */
    private transient ValueState<long[]> auction;
    private transient ValueState<Long> max;
    /** price, dateTime of bids that came before their auction. */
    private transient ListState<long[]> waiting;

    @Override
    public void open(OpenContext ctx) {
      auction = getRuntimeContext().getState(new ValueStateDescriptor<>("auction", long[].class));
      max = getRuntimeContext().getState(new ValueStateDescriptor<>("max", Types.LONG));
      waiting = getRuntimeContext().getListState(new ListStateDescriptor<>("waiting", long[].class));
    }

    private void offer(long[] a, long price, long t) throws Exception {
      if (t < a[1] || t > a[2]) return;
      Long m = max.value();
      if (m == null || price > m) max.update(price);
    }

    @Override
    public void processElement1(Row r, Context ctx, Collector<Tuple4<Long, Long, Long, Long>> out) throws Exception {
      long[] a = {(Long) r.getField(1), ms(r.getField(2)), ms(r.getField(3))};
      auction.update(a);
      Iterable<long[]> before = waiting.get();
      if (before != null) for (long[] b : before) offer(a, b[0], b[1]);
      waiting.clear();
      ctx.timerService().registerEventTimeTimer(a[2] + 1);
    }

    @Override
    public void processElement2(Row r, Context ctx, Collector<Tuple4<Long, Long, Long, Long>> out) throws Exception {
      long price = (Long) r.getField(1);
      long t = ms(r.getField(2));
      long[] a = auction.value();
      if (a == null) waiting.add(new long[] {price, t});
      else if (a[0] >= 0) offer(a, price, t);
    }

    @Override
    public void onTimer(long time, OnTimerContext ctx, Collector<Tuple4<Long, Long, Long, Long>> out) throws Exception {
      long[] a = auction.value();
      if (a == null || a[0] < 0) return;
      Long price = max.value();
      if (price != null) out.collect(Tuple4.of(a[0], price, ctx.getCurrentKey(), a[2]));
      auction.update(new long[] {-1, 0, 0});
      max.clear();
    }
  }

  /**
   * Per seller: the last 10 winning prices. Auctions closing at the same millisecond are held to a
   * timer at expiry + 1 ms and taken in auction id order (as Tributary's q6), so the rows do not
   * depend on the order timers of equal time fire in. A row per closed auction.
   */
  static final class LastTenAverage extends KeyedProcessFunction<Long, Tuple4<Long, Long, Long, Long>, Tuple2<Long, Long>> {
    private transient ValueState<long[]> last;
    /** price, auction, expires of closed auctions not yet averaged in. */
    private transient ListState<long[]> pending;

    @Override
    public void open(OpenContext ctx) {
      last = getRuntimeContext().getState(new ValueStateDescriptor<>("last", long[].class));
      pending = getRuntimeContext().getListState(new ListStateDescriptor<>("pending", long[].class));
    }

    @Override
    public void processElement(Tuple4<Long, Long, Long, Long> w, Context ctx, Collector<Tuple2<Long, Long>> out) throws Exception {
      pending.add(new long[] {w.f1, w.f2, w.f3});
      ctx.timerService().registerEventTimeTimer(w.f3 + 1);
    }

    @Override
    public void onTimer(long time, OnTimerContext ctx, Collector<Tuple2<Long, Long>> out) throws Exception {
      List<long[]> due = new ArrayList<>();
      List<long[]> rest = new ArrayList<>();
      Iterable<long[]> all = pending.get();
      if (all != null) for (long[] w : all) (w[2] < time ? due : rest).add(w);
      if (due.isEmpty()) return;
      due.sort((x, y) -> x[2] != y[2] ? Long.compare(x[2], y[2]) : Long.compare(x[1], y[1]));
      pending.update(rest);
      long[] old = last.value();
      List<Long> prices = new ArrayList<>();
      if (old != null) for (long p : old) prices.add(p);
      for (long[] w : due) {
        prices.add(w[0]);
        if (prices.size() > 10) prices.remove(0);
        long sum = 0;
        for (long p : prices) sum += p;
        out.collect(Tuple2.of(ctx.getCurrentKey(), sum / prices.size()));
      }
      long[] now = new long[prices.size()];
      for (int i = 0; i < now.length; i++) now[i] = prices.get(i);
      last.update(now);
    }
  }
}
