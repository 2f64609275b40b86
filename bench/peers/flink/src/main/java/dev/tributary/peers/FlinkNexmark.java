package dev.tributary.peers;

import java.lang.management.ManagementFactory;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.functions.ScalarFunction;
import org.apache.flink.types.Row;
import org.apache.flink.types.RowKind;
import org.apache.flink.util.CloseableIterator;

/**
 * Runs one Nexmark query (nexmark/nexmark's SQL, nexmark-flink/src/main/resources/queries) in a
 * local Flink MiniCluster, parallelism 1, over a JSON-lines file of events in nexmark/nexmark's
 * Kafka layout, with nexmark's DDL (rowtime `dateTime` from the event's own, watermark 4 s behind)
 * and nexmark's table settings (mini-batch 2 s / 50,000 rows, split distinct aggregates).
 *
 *   java -cp ... dev.tributary.peers.FlinkNexmark <events.jsonl> <query> <mode: time|rows|both> [repeats] [agree.jsonl]
 *
 * mode rows: prints the query's final result table, one JSON array per line (for the agreement
 * check): the changelog collected and applied (+I/+U add a row, -U/-D take it back), so an
 * updating query (q4, q15-q19) prints its final rows and an append-only one every row.
 * TIMESTAMP(3) values print as epoch milliseconds (UTC), as Tributary's rows carry them.
 * mode time: runs `INSERT INTO` a blackhole sink `repeats` times and prints one JSON line per
 * run: {"query","seconds","cpu_seconds","cpu_seconds_from_first_event","seconds_from_first_event"};
 * cpu_seconds is the JVM's process CPU time over the whole run (planning, code generation and job
 * start-up included), the *_from_first_event ones count from the moment the first event leaves
 * the source's JSON decoding (FirstEvent below) to the job's end, as Tributary's runner counts.
 * mode both: rows over agree.jsonl, then time over events.jsonl, in one JVM (one start-up).
 * mode paced: as both, but each timed run waits for a line on stdin ("go") first, and the JVM
 * exits at end of stdin: the caller runs Tributary between Flink's runs, so the two systems'
 * runs alternate under the same machine load (bench/peers/flink-session.ts).
 */
public final class FlinkNexmark {
  /** nexmark/nexmark's q14 UDF: how many times the character occurs in the string. */
  public static final class CountChar extends ScalarFunction {
    public long eval(String s, String c) {
      if (s == null || c == null || c.isEmpty()) return 0;
      char ch = c.charAt(0);
      long n = 0;
      for (int i = 0; i < s.length(); i++) if (s.charAt(i) == ch) n++;
      return n;
    }
  }

  /**
   * A filter in the source views that is always true and notes the JVM's process CPU time and the
   * wall clock when the first event reaches it: the start of the counted part of a timed run. Not
   * deterministic, so the planner keeps the call; after the first event it costs one volatile read.
   */
  public static final class FirstEvent extends ScalarFunction {
    static volatile long cpuNanos = -1;
    static volatile long wallNanos = -1;

    static void reset() {
      cpuNanos = -1;
      wallNanos = -1;
    }

    public boolean eval(Integer eventType) {
      if (cpuNanos < 0) {
        synchronized (FirstEvent.class) {
          if (cpuNanos < 0) {
            wallNanos = System.nanoTime();
            cpuNanos = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
          }
        }
      }
      return true;
    }

    @Override
    public boolean isDeterministic() {
      return false;
    }
  }

  /** One timed run's line: whole run and from the first event (FirstEvent) to the end. */
  private static void printTiming(String query, long t0, long cpu0, long t1, long cpu1) {
    double seconds = (t1 - t0) / 1e9;
    double cpu = (cpu1 - cpu0) / 1e9;
    if (FirstEvent.cpuNanos < 0) throw new IllegalStateException("no event reached the source views");
    double fromFirstSeconds = (t1 - FirstEvent.wallNanos) / 1e9;
    double fromFirstCpu = (cpu1 - FirstEvent.cpuNanos) / 1e9;
    System.out.println("{\"query\":\"" + query + "\",\"seconds\":" + seconds + ",\"cpu_seconds\":" + cpu
        + ",\"seconds_from_first_event\":" + fromFirstSeconds + ",\"cpu_seconds_from_first_event\":" + fromFirstCpu + "}");
    System.out.flush();
  }

  private record Query(String sink, String select, String... setup) {}

  private static final String STATS = " count(*) AS total_bids,"
      + " count(*) filter (where price < 10000) AS rank1_bids,"
      + " count(*) filter (where price >= 10000 and price < 1000000) AS rank2_bids,"
      + " count(*) filter (where price >= 1000000) AS rank3_bids,"
      + " count(distinct bidder) AS total_bidders,"
      + " count(distinct bidder) filter (where price < 10000) AS rank1_bidders,"
      + " count(distinct bidder) filter (where price >= 10000 and price < 1000000) AS rank2_bidders,"
      + " count(distinct bidder) filter (where price >= 1000000) AS rank3_bidders,"
      + " count(distinct auction) AS total_auctions,"
      + " count(distinct auction) filter (where price < 10000) AS rank1_auctions,"
      + " count(distinct auction) filter (where price >= 10000 and price < 1000000) AS rank2_auctions,"
      + " count(distinct auction) filter (where price >= 1000000) AS rank3_auctions";
  private static final String STATS_COLUMNS = "total_bids BIGINT, rank1_bids BIGINT, rank2_bids BIGINT, rank3_bids BIGINT,"
      + " total_bidders BIGINT, rank1_bidders BIGINT, rank2_bidders BIGINT, rank3_bidders BIGINT,"
      + " total_auctions BIGINT, rank1_auctions BIGINT, rank2_auctions BIGINT, rank3_auctions BIGINT";

  /** The sink columns and the SELECT of each query, as nexmark/nexmark's q*.sql. */
  private static final Map<String, Query> QUERIES = Map.ofEntries(
      Map.entry("q0", new Query("auction BIGINT, bidder BIGINT, price BIGINT, `dateTime` TIMESTAMP(3), extra STRING",
          "SELECT auction, bidder, price, `dateTime`, extra FROM bid")),
      Map.entry("q1", new Query("auction BIGINT, bidder BIGINT, price DECIMAL(23, 3), `dateTime` TIMESTAMP(3), extra STRING",
          "SELECT auction, bidder, 0.908 * price AS price, `dateTime`, extra FROM bid")),
      Map.entry("q2", new Query("auction BIGINT, price BIGINT",
          "SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0")),
      Map.entry("q3", new Query("name STRING, city STRING, state STRING, id BIGINT",
          "SELECT P.name, P.city, P.state, A.id FROM auction AS A INNER JOIN person AS P on A.seller = P.id"
              + " WHERE A.category = 10 and (P.state = 'OR' OR P.state = 'ID' OR P.state = 'CA')")),
      Map.entry("q4", new Query("id BIGINT, final BIGINT",
          "SELECT Q.category, AVG(Q.final) FROM ("
              + " SELECT MAX(B.price) AS final, A.category FROM auction A, bid B"
              + " WHERE A.id = B.auction AND B.`dateTime` BETWEEN A.`dateTime` AND A.expires"
              + " GROUP BY A.id, A.category) Q GROUP BY Q.category")),
      Map.entry("q5", new Query("auction BIGINT, num BIGINT",
          "SELECT AuctionBids.auction, AuctionBids.num FROM ("
              + " SELECT auction, count(*) AS num, window_start AS starttime, window_end AS endtime"
              + " FROM TABLE(HOP(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '2' SECOND, INTERVAL '10' SECOND))"
              + " GROUP BY auction, window_start, window_end) AS AuctionBids"
              + " JOIN ("
              + " SELECT max(CountBids.num) AS maxn, CountBids.starttime, CountBids.endtime FROM ("
              + " SELECT count(*) AS num, window_start AS starttime, window_end AS endtime"
              + " FROM TABLE(HOP(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '2' SECOND, INTERVAL '10' SECOND))"
              + " GROUP BY auction, window_start, window_end) AS CountBids"
              + " GROUP BY CountBids.starttime, CountBids.endtime) AS MaxBids"
              + " ON AuctionBids.starttime = MaxBids.starttime AND AuctionBids.endtime = MaxBids.endtime"
              + " AND AuctionBids.num >= MaxBids.maxn")),
      // q6 runs on the DataStream API (FlinkQ6): nexmark's SQL for it does not plan in Flink.
      Map.entry("q6", new Query("seller BIGINT, avg_price BIGINT", "")),
      Map.entry("q7", new Query("auction BIGINT, bidder BIGINT, price BIGINT, `dateTime` TIMESTAMP(3), extra STRING",
          "SELECT B.auction, B.price, B.bidder, B.`dateTime`, B.extra FROM bid B JOIN ("
              + " SELECT MAX(price) AS maxprice, window_end as `dateTime`"
              + " FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '10' SECOND))"
              + " GROUP BY window_start, window_end) B1 ON B.price = B1.maxprice"
              + " WHERE B.`dateTime` BETWEEN B1.`dateTime` - INTERVAL '10' SECOND AND B1.`dateTime`")),
      Map.entry("q8", new Query("id BIGINT, name STRING, stime TIMESTAMP(3)",
          "SELECT P.id, P.name, P.starttime FROM ("
              + " SELECT id, name, window_start AS starttime, window_end AS endtime"
              + " FROM TABLE(TUMBLE(TABLE person, DESCRIPTOR(`dateTime`), INTERVAL '10' SECOND))"
              + " GROUP BY id, name, window_start, window_end) P JOIN ("
              + " SELECT seller, window_start AS starttime, window_end AS endtime"
              + " FROM TABLE(TUMBLE(TABLE auction, DESCRIPTOR(`dateTime`), INTERVAL '10' SECOND))"
              + " GROUP BY seller, window_start, window_end) A"
              + " ON P.id = A.seller AND P.starttime = A.starttime AND P.endtime = A.endtime")),
      Map.entry("q11", new Query("bidder BIGINT, bid_count BIGINT, starttime TIMESTAMP(3), endtime TIMESTAMP(3)",
          "SELECT B.bidder, count(*) as bid_count,"
              + " SESSION_START(B.`dateTime`, INTERVAL '10' SECOND) as starttime,"
              + " SESSION_END(B.`dateTime`, INTERVAL '10' SECOND) as endtime"
              + " FROM bid B GROUP BY B.bidder, SESSION(B.`dateTime`, INTERVAL '10' SECOND)")),
      Map.entry("q12", new Query("bidder BIGINT, bid_count BIGINT, starttime TIMESTAMP(3), endtime TIMESTAMP(3)",
          "SELECT bidder, count(*) as bid_count, window_start AS starttime, window_end AS endtime"
              + " FROM TABLE(TUMBLE(TABLE B, DESCRIPTOR(p_time), INTERVAL '10' SECOND))"
              + " GROUP BY bidder, window_start, window_end",
          "CREATE VIEW B AS SELECT *, PROCTIME() as p_time FROM bid")),
      Map.entry("q14", new Query("auction BIGINT, bidder BIGINT, price DECIMAL(23, 3), bidTimeType STRING, `dateTime` TIMESTAMP(3), extra STRING, c_counts BIGINT",
          "SELECT auction, bidder, 0.908 * price as price,"
              + " CASE WHEN HOUR(`dateTime`) >= 8 AND HOUR(`dateTime`) <= 18 THEN 'dayTime'"
              + " WHEN HOUR(`dateTime`) <= 6 OR HOUR(`dateTime`) >= 20 THEN 'nightTime'"
              + " ELSE 'otherTime' END AS bidTimeType,"
              + " `dateTime`, extra, count_char(extra, 'c') AS c_counts"
              + " FROM bid WHERE 0.908 * price > 1000000 AND 0.908 * price < 50000000")),
      Map.entry("q15", new Query("`day` STRING, " + STATS_COLUMNS,
          "SELECT DATE_FORMAT(`dateTime`, 'yyyy-MM-dd') as `day`," + STATS
              + " FROM bid GROUP BY DATE_FORMAT(`dateTime`, 'yyyy-MM-dd')")),
      Map.entry("q16", new Query("channel STRING, `day` STRING, `minute` STRING, " + STATS_COLUMNS,
          "SELECT channel, DATE_FORMAT(`dateTime`, 'yyyy-MM-dd') as `day`, max(DATE_FORMAT(`dateTime`, 'HH:mm')) as `minute`," + STATS
              + " FROM bid GROUP BY channel, DATE_FORMAT(`dateTime`, 'yyyy-MM-dd')")),
      Map.entry("q17", new Query("auction BIGINT, `day` STRING, total_bids BIGINT, rank1_bids BIGINT, rank2_bids BIGINT, rank3_bids BIGINT,"
              + " min_price BIGINT, max_price BIGINT, avg_price BIGINT, sum_price BIGINT",
          "SELECT auction, DATE_FORMAT(`dateTime`, 'yyyy-MM-dd') as `day`, count(*) AS total_bids,"
              + " count(*) filter (where price < 10000) AS rank1_bids,"
              + " count(*) filter (where price >= 10000 and price < 1000000) AS rank2_bids,"
              + " count(*) filter (where price >= 1000000) AS rank3_bids,"
              + " min(price) AS min_price, max(price) AS max_price, avg(price) AS avg_price, sum(price) AS sum_price"
              + " FROM bid GROUP BY auction, DATE_FORMAT(`dateTime`, 'yyyy-MM-dd')")),
      Map.entry("q18", new Query("auction BIGINT, bidder BIGINT, price BIGINT, channel STRING, url STRING, `dateTime` TIMESTAMP(3), extra STRING",
          "SELECT auction, bidder, price, channel, url, `dateTime`, extra FROM ("
              + "SELECT *, ROW_NUMBER() OVER (PARTITION BY bidder, auction ORDER BY `dateTime` DESC) AS rank_number FROM bid)"
              + " WHERE rank_number <= 1")),
      Map.entry("q19", new Query("auction BIGINT, bidder BIGINT, price BIGINT, channel STRING, url STRING, `dateTime` TIMESTAMP(3), extra STRING, rank_number BIGINT",
          "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rank_number FROM bid)"
              + " WHERE rank_number <= 10")),
      Map.entry("q20", new Query("auction BIGINT, bidder BIGINT, price BIGINT, channel STRING, url STRING, bid_dateTime TIMESTAMP(3), bid_extra STRING,"
              + " itemName STRING, description STRING, initialBid BIGINT, reserve BIGINT, auction_dateTime TIMESTAMP(3), expires TIMESTAMP(3),"
              + " seller BIGINT, category BIGINT, auction_extra STRING",
          "SELECT auction, bidder, price, channel, url, B.`dateTime`, B.extra,"
              + " itemName, description, initialBid, reserve, A.`dateTime`, expires, seller, category, A.extra"
              + " FROM bid AS B INNER JOIN auction AS A on B.auction = A.id WHERE A.category = 10")),
      Map.entry("q22", new Query("auction BIGINT, bidder BIGINT, price BIGINT, channel STRING, dir1 STRING, dir2 STRING, dir3 STRING",
          "SELECT auction, bidder, price, channel, SPLIT_INDEX(url, '/', 3) as dir1,"
              + " SPLIT_INDEX(url, '/', 4) as dir2, SPLIT_INDEX(url, '/', 5) as dir3 FROM bid")));

  /** The queries this peer runs, comma-separated (bench/peers/flink.ts reads it with `list`). */
  public static String names() {
    return String.join(",", new java.util.TreeSet<>(QUERIES.keySet()));
  }

  private static final String MS = "CAST(TO_TIMESTAMP_LTZ(%s, 3) AS TIMESTAMP(3))";

  public static void main(String[] args) throws Exception {
    if (args.length == 1 && args[0].equals("list")) {
      System.out.println(names());
      return;
    }
    String file = args[0];
    String query = args[1];
    String mode = args[2];
    int repeats = args.length > 3 ? Integer.parseInt(args[3]) : 1;
    Query q = QUERIES.get(query);
    if (q == null) throw new IllegalArgumentException("query not implemented in the Flink peer: " + query);
    if (mode.equals("both") || mode.equals("paced")) {
      run(args[4], query, q, "rows", 0);
      System.out.println("# time");
      System.out.flush();
      run(file, query, q, mode.equals("paced") ? "paced" : "time", repeats);
    } else {
      run(file, query, q, mode, repeats);
    }
  }

  private static void run(String file, String query, Query q, String mode, int repeats) throws Exception {
    if (!Files.exists(Path.of(file))) throw new IllegalArgumentException("no such file " + file);

    if (query.equals("q6")) {
      runQ6(file, mode, repeats);
      return;
    }
    Configuration conf = new Configuration();
    conf.setString("parallelism.default", "1");
    conf.setString("table.local-time-zone", "UTC");
    // nexmark/nexmark's conf/config.yaml table settings.
    conf.setString("table.exec.mini-batch.enabled", "true");
    conf.setString("table.exec.mini-batch.allow-latency", "2s");
    conf.setString("table.exec.mini-batch.size", "50000");
    conf.setString("table.optimizer.distinct-agg.split.enabled", "true");
    TableEnvironment t = TableEnvironment.create(EnvironmentSettings.newInstance().inStreamingMode().withConfiguration(conf).build());
    ddl(t, file);
    for (String s : q.setup()) t.executeSql(s);

    if (mode.equals("rows")) {
      printFinalTable(t.executeSql(q.select()));
      return;
    }
    t.executeSql("CREATE TABLE sink (" + q.sink() + ") WITH ('connector' = 'blackhole')");
    com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    for (int i = 0; i < repeats; i++) {
      if (mode.equals("paced") && !awaitGo()) return;
      FirstEvent.reset();
      long cpu0 = os.getProcessCpuTime();
      long t0 = System.nanoTime();
      t.executeSql("INSERT INTO sink " + q.select()).await();
      printTiming(query, t0, cpu0, System.nanoTime(), os.getProcessCpuTime());
    }
  }

  private static final java.io.BufferedReader STDIN = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8));

  /** Mode paced: blocks until the caller sends a line (the next run may start); false at end of stdin. */
  private static boolean awaitGo() throws java.io.IOException {
    return STDIN.readLine() != null;
  }

  /** nexmark/nexmark's source table over our file, and its views. */
  private static void ddl(TableEnvironment t, String file) {
    t.createTemporarySystemFunction("count_char", CountChar.class);
    t.createTemporarySystemFunction("first_event", FirstEvent.class);
    // nexmark/nexmark's ddl_kafka.sql over our file: the events carry dateTime/expires as epoch
    // milliseconds (BIGINT), made TIMESTAMP(3) here as nexmark's JSON has them.
    t.executeSql("CREATE TABLE events ("
        + " event_type INT,"
        + " person ROW<id BIGINT, name STRING, emailAddress STRING, creditCard STRING, city STRING, state STRING, `dateTime` BIGINT, extra STRING>,"
        + " auction ROW<id BIGINT, itemName STRING, description STRING, initialBid BIGINT, reserve BIGINT, `dateTime` BIGINT, expires BIGINT, seller BIGINT, category BIGINT, extra STRING>,"
        + " bid ROW<auction BIGINT, bidder BIGINT, price BIGINT, channel STRING, url STRING, `dateTime` BIGINT, extra STRING>,"
        + " `dateTime` AS " + String.format(MS, "CASE WHEN event_type = 0 THEN person.`dateTime` WHEN event_type = 1 THEN auction.`dateTime` ELSE bid.`dateTime` END") + ","
        + " WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '4' SECOND"
        + ") WITH ('connector' = 'filesystem', 'path' = '" + file + "', 'format' = 'json')");
    // nexmark/nexmark's ddl_views.sql, each with the first-event mark (FirstEvent).
    t.executeSql("CREATE VIEW person AS SELECT person.id, person.name, person.emailAddress, person.creditCard, person.city,"
        + " person.state, `dateTime`, person.extra FROM events WHERE event_type = 0 AND first_event(event_type)");
    t.executeSql("CREATE VIEW auction AS SELECT auction.id, auction.itemName, auction.description, auction.initialBid,"
        + " auction.reserve, `dateTime`, " + String.format(MS, "auction.expires") + " AS expires, auction.seller, auction.category,"
        + " auction.extra FROM events WHERE event_type = 1 AND first_event(event_type)");
    t.executeSql("CREATE VIEW bid AS SELECT bid.auction, bid.bidder, bid.price, bid.channel, bid.url, `dateTime`, bid.extra"
        + " FROM events WHERE event_type = 2 AND first_event(event_type)");
  }

  /** q6: DataStream API over the same tables (FlinkQ6 says why). */
  private static void runQ6(String file, String mode, int repeats) throws Exception {
    Configuration conf = new Configuration();
    conf.setString("table.local-time-zone", "UTC");
    org.apache.flink.streaming.api.environment.StreamExecutionEnvironment env =
        org.apache.flink.streaming.api.environment.StreamExecutionEnvironment.getExecutionEnvironment(conf);
    env.setParallelism(1);
    org.apache.flink.table.api.bridge.java.StreamTableEnvironment t = org.apache.flink.table.api.bridge.java.StreamTableEnvironment.create(
        env, EnvironmentSettings.newInstance().inStreamingMode().withConfiguration(conf).build());
    ddl(t, file);
    if (mode.equals("rows")) {
      StringBuilder out = new StringBuilder();
      try (CloseableIterator<org.apache.flink.api.java.tuple.Tuple2<Long, Long>> it = FlinkQ6.build(t).executeAndCollect()) {
        while (it.hasNext()) {
          org.apache.flink.api.java.tuple.Tuple2<Long, Long> r = it.next();
          out.append('[').append(r.f0).append(',').append(r.f1).append("]\n");
        }
      }
      System.out.print(out);
      return;
    }
    com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    for (int i = 0; i < repeats; i++) {
      if (mode.equals("paced") && !awaitGo()) return;
      FirstEvent.reset();
      long cpu0 = os.getProcessCpuTime();
      long t0 = System.nanoTime();
      FlinkQ6.build(t).sinkTo(new org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink<>());
      env.execute("q6");
      printTiming("q6", t0, cpu0, System.nanoTime(), os.getProcessCpuTime());
    }
  }

  /** Applies the result's changelog and prints the rows left, one JSON array per line. */
  private static void printFinalTable(TableResult r) throws Exception {
    Map<String, Integer> table = new LinkedHashMap<>();
    try (CloseableIterator<Row> it = r.collect()) {
      while (it.hasNext()) {
        Row row = it.next();
        String json = toJson(row);
        RowKind kind = row.getKind();
        if (kind == RowKind.INSERT || kind == RowKind.UPDATE_AFTER) table.merge(json, 1, Integer::sum);
        else if (table.merge(json, -1, Integer::sum) == 0) table.remove(json);
      }
    }
    StringBuilder out = new StringBuilder();
    for (Map.Entry<String, Integer> e : table.entrySet()) {
      if (e.getValue() < 0) throw new IllegalStateException("retraction of a row never added: " + e.getKey());
      for (int i = 0; i < e.getValue(); i++) out.append(e.getKey()).append('\n');
    }
    System.out.print(out);
  }

  private static String toJson(Row row) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < row.getArity(); i++) {
      if (i > 0) sb.append(',');
      Object v = row.getField(i);
      if (v instanceof String s) sb.append('"').append(s.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
      else if (v instanceof LocalDateTime d) sb.append(d.toInstant(ZoneOffset.UTC).toEpochMilli());
      else if (v instanceof Instant d) sb.append(d.toEpochMilli());
      else if (v instanceof BigDecimal d) sb.append(d.toPlainString());
      else sb.append(v);
    }
    return sb.append(']').toString();
  }
}
