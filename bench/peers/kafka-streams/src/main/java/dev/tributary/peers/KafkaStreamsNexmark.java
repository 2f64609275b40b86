package dev.tributary.peers;

import java.io.BufferedOutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The Kafka Streams peer of `npm run bench -- peers` (started by bench/peers/kafka-streams/peer.ts).
 *
 *   run  <bootstrap> <input topic> <query> <output topic> <application id> <repeats>
 *        Runs the query `repeats` times, one after the other in this JVM (the later runs are
 *        JIT-warm), each with a fresh application id (<id>-<i>, so it reads the input from the
 *        beginning) and output topic (<output>-<i>), exactly_once_v2, one stream thread. A run
 *        ends when the application's committed offsets reach the end of the input and of its
 *        internal topics (see finished(); with EOS those commits come with the output's
 *        transaction). Prints one JSON line per run:
 *        {"seconds":..,"cpu_seconds":..} with the process CPU time (OperatingSystemMXBean)
 *        from before the application starts until then.
 *   paced <bootstrap> <input topic> <query> <output topic> <application id> <repeats>
 *        As run, but each run starts only when a line arrives on stdin (none left: the JVM
 *        exits), so the caller can alternate these runs with Tributary's (paced-process.ts).
 *   read <bootstrap> <topic> [read_committed|read_uncommitted]
 *        Prints every value of the topic (default read_committed) on a line, up to its end.
 */
public final class KafkaStreamsNexmark {
  private KafkaStreamsNexmark() {}

  public static void main(String[] args) throws Exception {
    if (args.length >= 7 && args[0].equals("run")) run(args[1], args[2], args[3], args[4], args[5], Integer.parseInt(args[6]), false);
    else if (args.length >= 7 && args[0].equals("paced")) run(args[1], args[2], args[3], args[4], args[5], Integer.parseInt(args[6]), true);
    else if (args.length >= 3 && args[0].equals("read")) read(args[1], args[2], args.length > 3 ? args[3] : "read_committed");
    else {
      System.err.println("usage: run <bootstrap> <input> <query> <output> <appId> <repeats> | read <bootstrap> <topic>");
      System.exit(2);
    }
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  private static void run(String bootstrap, String input, String query, String outputBase, String appBase, int repeats, boolean paced) throws Exception {
    java.io.BufferedReader go = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8));
    Properties adminProps = new Properties();
    adminProps.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin admin = Admin.create(adminProps)) {
      List<TopicPartition> parts = admin.describeTopics(List.of(input)).allTopicNames().get().get(input).partitions().stream()
          .map(p -> new TopicPartition(input, p.partition()))
          .collect(Collectors.toList());
      for (int i = 0; i < repeats; i++) {
        // paced: wait for the caller's turn signal; the end of stdin ends the runs
        if (paced && go.readLine() == null) break;
        String appId = appBase + "-" + i;
        String output = outputBase + "-" + i;
        try {
          // Kept forever: the records carry the events' times (2015), which time-based retention
          // would delete from the topic before the agreement check reads it.
          admin.createTopics(List.of(new NewTopic(output, 1, (short) -1).configs(Map.of("retention.ms", "-1")))).all().get();
        } catch (java.util.concurrent.ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) throw e;
        }
        Path stateDir = Files.createTempDirectory("tributary-kstreams-peer-");
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        StreamsBuilder b = new StreamsBuilder();
        NexmarkTopologies.build(b, query, input, output);
        long cpu0 = processCpuNanos();
        long t0 = System.nanoTime();
        KafkaStreams streams = new KafkaStreams(b.build(p), p);
        streams.start();
        try {
          while (!finished(admin, appId, parts)) {
            if (streams.state() == KafkaStreams.State.ERROR || streams.state() == KafkaStreams.State.NOT_RUNNING) throw new IllegalStateException("Kafka Streams stopped: " + streams.state());
            Thread.sleep(50);
          }
          double seconds = (System.nanoTime() - t0) / 1e9;
          double cpuSeconds = (processCpuNanos() - cpu0) / 1e9;
          System.out.println("{\"seconds\":" + seconds + ",\"cpu_seconds\":" + cpuSeconds + "}");
          System.out.flush();
        } finally {
          streams.close(Duration.ofSeconds(30));
          streams.cleanUp();
          deleteTree(stateDir);
        }
      }
    }
  }

  /**
   * Whether the application has processed and committed everything: its committed offsets reach
   * the end (the last stable offset) of the input and of every internal topic it reads
   * (repartition, foreign-key subscription), so the later sub-topologies have caught up too.
   * Kafka Streams commits the consumer's position once a partition's buffer is empty, past any
   * transaction marker, so "caught up" is committed == end. The offsets are read before the ends:
   * an internal topic's end read later is at least what its writer had committed by then.
   */
  private static boolean finished(Admin admin, String appId, List<TopicPartition> input) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(appId).partitionsToOffsetAndMetadata().get();
    for (TopicPartition tp : input) if (committed.get(tp) == null) return false;
    List<String> internal = admin.listTopics().names().get().stream().filter(n -> n.startsWith(appId + "-") && !n.endsWith("-changelog")).collect(Collectors.toList());
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    for (TopicPartition tp : input) latest.put(tp, OffsetSpec.latest());
    if (!internal.isEmpty()) {
      for (var d : admin.describeTopics(internal).allTopicNames().get().values()) {
        for (var p : d.partitions()) latest.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest());
      }
    }
    var ends = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get();
    for (var e : ends.entrySet()) {
      OffsetAndMetadata c = committed.get(e.getKey());
      long end = e.getValue().offset();
      if (end > 0 && (c == null || c.offset() < end)) return false;
    }
    return true;
  }

  private static void deleteTree(Path dir) throws java.io.IOException {
    try (var walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  private static void read(String bootstrap, String topic, String isolation) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    PrintStream out = new PrintStream(new BufferedOutputStream(System.out, 1 << 16), false, java.nio.charset.StandardCharsets.UTF_8);
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(topic).stream().map(i -> new TopicPartition(topic, i.partition())).collect(Collectors.toList());
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> ends = c.endOffsets(parts);
      while (parts.stream().anyMatch(tp -> c.position(tp) < ends.get(tp))) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          if (r.value() == null) continue;
          out.write(r.value(), 0, r.value().length);
          out.write('\n');
        }
      }
    }
    out.flush();
  }
}
