package dev.tributary.peers;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;

/**
 * Runs one Nexmark query (nexmark/nexmark's SQL) in a local Flink MiniCluster, parallelism 1,
 * over a JSON-lines file of events in nexmark/nexmark's Kafka layout.
 *
 *   java -cp ... dev.tributary.peers.FlinkNexmark <events.jsonl> <query> <mode: time|rows> [repeats]
 *
 * mode rows: prints the result rows, one JSON array per line (for the agreement check);
 * mode time: runs the query into a blackhole sink `repeats` times and prints one JSON line per
 * run: {"query","seconds","cpu_seconds"}; cpu_seconds is the JVM's process CPU time over the run.
 */
public final class FlinkNexmark {
  private static final Map<String, String[]> QUERIES = Map.of(
      "q0", new String[] {"auction BIGINT, bidder BIGINT, price BIGINT, `dateTime` BIGINT, extra STRING",
          "SELECT auction, bidder, price, `dateTime`, extra FROM bid"},
      "q1", new String[] {"auction BIGINT, bidder BIGINT, price DECIMAL(23, 3), `dateTime` BIGINT, extra STRING",
          "SELECT auction, bidder, 0.908 * price AS price, `dateTime`, extra FROM bid"},
      "q2", new String[] {"auction BIGINT, price BIGINT",
          "SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0"});

  public static void main(String[] args) throws Exception {
    String file = args[0];
    String query = args[1];
    String mode = args[2];
    int repeats = args.length > 3 ? Integer.parseInt(args[3]) : 1;
    String[] q = QUERIES.get(query);
    if (q == null) throw new IllegalArgumentException("query not implemented in the Flink peer: " + query);
    if (!Files.exists(Path.of(file))) throw new IllegalArgumentException("no such file " + file);

    Configuration conf = new Configuration();
    conf.setString("parallelism.default", "1");
    TableEnvironment t = TableEnvironment.create(EnvironmentSettings.newInstance().inStreamingMode().withConfiguration(conf).build());
    t.executeSql("CREATE TABLE events ("
        + " event_type INT,"
        + " person ROW<id BIGINT, name STRING, emailAddress STRING, creditCard STRING, city STRING, state STRING, `dateTime` BIGINT, extra STRING>,"
        + " auction ROW<id BIGINT, itemName STRING, description STRING, initialBid BIGINT, reserve BIGINT, `dateTime` BIGINT, expires BIGINT, seller BIGINT, category BIGINT, extra STRING>,"
        + " bid ROW<auction BIGINT, bidder BIGINT, price BIGINT, channel STRING, url STRING, `dateTime` BIGINT, extra STRING>"
        + ") WITH ('connector' = 'filesystem', 'path' = '" + file + "', 'format' = 'json')");
    // nexmark/nexmark's views over its one source table.
    t.executeSql("CREATE VIEW bid AS SELECT bid.auction AS auction, bid.bidder AS bidder, bid.price AS price,"
        + " bid.channel AS channel, bid.url AS url, bid.`dateTime` AS `dateTime`, bid.extra AS extra FROM events WHERE event_type = 2");

    if (mode.equals("rows")) {
      TableResult r = t.executeSql(q[1]);
      try (CloseableIterator<Row> it = r.collect()) {
        StringBuilder sb = new StringBuilder();
        while (it.hasNext()) {
          Row row = it.next();
          sb.setLength(0);
          sb.append('[');
          for (int i = 0; i < row.getArity(); i++) {
            if (i > 0) sb.append(',');
            Object v = row.getField(i);
            if (v instanceof String s) sb.append('"').append(s.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
            else sb.append(v);
          }
          sb.append(']');
          System.out.println(sb);
        }
      }
      return;
    }
    t.executeSql("CREATE TABLE sink (" + q[0] + ") WITH ('connector' = 'blackhole')");
    com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    for (int i = 0; i < repeats; i++) {
      long cpu0 = os.getProcessCpuTime();
      long t0 = System.nanoTime();
      t.executeSql("INSERT INTO sink " + q[1]).await();
      double seconds = (System.nanoTime() - t0) / 1e9;
      double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
      System.out.println("{\"query\":\"" + query + "\",\"seconds\":" + seconds + ",\"cpu_seconds\":" + cpu + "}");
    }
  }
}
