// Reads "<hex key or -> <partitions>" lines; prints "<Utils.murmur2> <toPositive(murmur2) % partitions>" per line,
// computed by Kafka's own kafka-clients jar. Run as a single-file program: java -cp <kafka libs>/* Murmur2Oracle.java
import java.io.*;
import java.util.HexFormat;
import org.apache.kafka.common.utils.Utils;

public class Murmur2Oracle {
  public static void main(String[] args) throws IOException {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
    HexFormat hex = HexFormat.of();
    StringBuilder out = new StringBuilder();
    for (String line; (line = in.readLine()) != null; ) {
      String[] parts = line.split(" ");
      byte[] key = hex.parseHex(parts[0].equals("-") ? "" : parts[0]);
      int n = Integer.parseInt(parts[1]);
      int h = Utils.murmur2(key);
      out.append(h).append(' ').append(Utils.toPositive(h) % n).append('\n');
    }
    System.out.print(out);
  }
}
