package dev.tributary.peers;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Nexmark's events in the JSON layout Tributary's generator writes (bench/nexmark/model.ts
 * eventToJson: {"event_type":N,"person"|"auction"|"bid":{...}}), the result rows of the queries
 * (named as the sink tables of nexmark/nexmark, as Tributary's rows are), and a Jackson serde.
 * Plain public fields: Jackson binds them without reflection on getters.
 */
final class Model {
  private Model() {}

  static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  public static final class Person {
    public long id;
    public String name, emailAddress, creditCard, city, state;
    public long dateTime;
    public String extra;
  }

  public static final class Auction {
    public long id;
    public String itemName, description;
    public long initialBid, reserve, dateTime, expires, seller, category;
    public String extra;
  }

  public static final class Bid {
    public long auction, bidder, price;
    public String channel, url;
    public long dateTime;
    public String extra;
  }

  public static final class Event {
    public int event_type;
    public Person person;
    public Auction auction;
    public Bid bid;
  }

  // ---- result rows ----

  public static final class Q0Row {
    public long auction, bidder, price, dateTime;
    public String extra;

    public Q0Row() {}

    Q0Row(Bid b) {
      auction = b.auction;
      bidder = b.bidder;
      price = b.price;
      dateTime = b.dateTime;
      extra = b.extra;
    }
  }

  public static final class Q1Row {
    public long auction, bidder;
    public double price;
    public long dateTime;
    public String extra;

    public Q1Row() {}

    Q1Row(Bid b) {
      auction = b.auction;
      bidder = b.bidder;
      // 0.908 * price as DECIMAL(23, 3): prices are integer cents, so this is exact to the third decimal.
      price = (double) (b.price * 908) / 1000;
      dateTime = b.dateTime;
      extra = b.extra;
    }
  }

  public static final class Q2Row {
    public long auction, price;

    public Q2Row() {}

    Q2Row(long auction, long price) {
      this.auction = auction;
      this.price = price;
    }
  }

  public static final class Q3Row {
    public String name, city, state;
    public long id;

    public Q3Row() {}

    Q3Row(Person p, long auction) {
      name = p.name;
      city = p.city;
      state = p.state;
      id = auction;
    }
  }

  /** q4 stage 1: an auction's new maximum (winning) price. */
  public static final class AuctionMax {
    public long auction, category, max;

    public AuctionMax() {}

    AuctionMax(long auction, long category, long max) {
      this.auction = auction;
      this.category = category;
      this.max = max;
    }
  }

  /** q4 stage 1 state per auction id: the auction (once seen), its maximum, bids that came first. */
  public static final class AuctionState {
    public boolean seen;
    public long dateTime, expires, category;
    public Long max;
    /** [price, dateTime] of bids that arrived before their auction. */
    public List<long[]> waiting;
  }

  public static final class SumCount {
    public long sum, count;
  }

  public static final class Q4Row {
    /** The category (the SQL's sink names it id). */
    public long id;

    @JsonProperty("final")
    public long finalPrice;

    public Q4Row() {}

    Q4Row(long id, long finalPrice) {
      this.id = id;
      this.finalPrice = finalPrice;
    }
  }

  public static final class Q5Row {
    public long auction, num, starttime, endtime;

    public Q5Row() {}

    Q5Row(long auction, long num, long starttime, long endtime) {
      this.auction = auction;
      this.num = num;
      this.starttime = starttime;
      this.endtime = endtime;
    }
  }

  /** q5 stage 2 state per window: its maximum count and the rows at it. */
  public static final class Top {
    public long max;
    public List<Q5Row> rows = new ArrayList<>();
  }

  public static final class Q7Row {
    public long auction, price, bidder, dateTime;
    public String extra;

    public Q7Row() {}

    Q7Row(Bid b) {
      auction = b.auction;
      price = b.price;
      bidder = b.bidder;
      dateTime = b.dateTime;
      extra = b.extra;
    }
  }

  /** q7 state per open window: the highest price over [start, end) and the bids that may equal it. */
  public static final class Open {
    public long max;
    public List<Q7Row> candidates = new ArrayList<>();
  }

  /** q8 per person and window: the name (once registered), whether they opened an auction. */
  public static final class Pair {
    public String name;
    public boolean seller;
    /** Set by the update that completed the pair: that update, and only it, is emitted. */
    public boolean fresh;
  }

  public static final class Q8Row {
    public long id;
    public String name;
    public long stime;

    public Q8Row() {}

    Q8Row(long id, String name, long stime) {
      this.id = id;
      this.name = name;
      this.stime = stime;
    }
  }

  static <T> Serde<T> json(Class<T> type) {
    Serializer<T> ser = (topic, value) -> {
      if (value == null) return null;
      try {
        return JSON.writeValueAsBytes(value);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    };
    Deserializer<T> de = (topic, bytes) -> {
      if (bytes == null) return null;
      try {
        return JSON.readValue(bytes, type);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    };
    return Serdes.serdeFrom(ser, de);
  }

  // ---- the events, projected ----

  /** The text fields of each event type (numbers are always read), as bench/nexmark/event-json.ts. */
  private static final Map<String, List<String>> TEXT = Map.of(
      "person", List.of("name", "emailAddress", "creditCard", "city", "state", "extra"),
      "auction", List.of("itemName", "description", "extra"),
      "bid", List.of("channel", "url", "extra"));
  private static final Map<String, Class<?>> CLASSES = Map.of("person", Person.class, "auction", Auction.class, "bid", Bid.class);
  private static final List<String> TYPES = List.of("person", "auction", "bid"); // by event_type 0, 1, 2
  private static final byte[] HEAD = "{\"event_type\":".getBytes(StandardCharsets.US_ASCII);

  /**
   * The serde of the events for a query that reads `reads` (type -> the text fields read; a type
   * missing is not read): the same projection as Tributary's source of that query (its `reads:`,
   * decoded by bench/nexmark/event-json.ts), for a like-for-like comparison. An event of a type not
   * read is not parsed past its event_type: a shared placeholder of its type comes back (an Event
   * whose person/auction/bid is an empty object, so the `e.bid != null` filters drop it as they drop
   * any other type). Text fields not read are ignored properties: Jackson steps over their values
   * without making Strings (and does not write them).
   */
  static Serde<Event> events(Map<String, List<String>> reads) {
    ObjectMapper mapper = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    Event[] unread = new Event[3];
    for (int t = 0; t < 3; t++) {
      String type = TYPES.get(t);
      List<String> read = reads.get(type);
      if (read == null) {
        Event e = unread[t] = new Event();
        e.event_type = t;
        if (t == 0) e.person = new Person();
        else if (t == 1) e.auction = new Auction();
        else e.bid = new Bid();
        continue;
      }
      Set<String> skipped = new HashSet<>(TEXT.get(type));
      skipped.removeAll(read);
      mapper.configOverride(CLASSES.get(type)).setIgnorals(JsonIgnoreProperties.Value.forIgnoredProperties(skipped).withIgnoreUnknown());
    }
    ObjectReader reader = mapper.readerFor(Event.class);
    Serializer<Event> ser = (topic, value) -> {
      if (value == null) return null;
      try {
        return mapper.writeValueAsBytes(value);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    };
    Deserializer<Event> de = (topic, bytes) -> {
      if (bytes == null) return null;
      // {"event_type":N, with N a type not read: the placeholder (the layout eventToJson writes)
      if (bytes.length > 16 && bytes[15] == ',' && Arrays.equals(bytes, 0, 14, HEAD, 0, 14)) {
        int t = bytes[14] - '0';
        if (t >= 0 && t < 3 && unread[t] != null) return unread[t];
      }
      try {
        return reader.readValue(bytes);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    };
    return Serdes.serdeFrom(ser, de);
  }

  // ---- the events, binary ----

  /**
   * The events in binary, for the repartition hops: Tributary's queries send events over theirs in
   * bench/nexmark/event-binary.ts's layout, not JSON, so for a like-for-like comparison this peer's
   * hops do the same kind of thing. A type byte (0 person, 1 auction, 2 bid), then that type's fields
   * in the model's order: longs as 8 bytes (ByteBuffer's big-endian), Strings as an int length (-1
   * for null: a text field the projection did not read) and the UTF-8 bytes. Decoding gives the same
   * Event (event_type set, its one person/auction/bid). One array per event, of the exact size.
   */
  static Serde<Event> eventBinary() {
    Serializer<Event> ser = (topic, e) -> {
      if (e == null) return null;
      if (e.person != null) {
        Person p = e.person;
        byte[][] s = utf8(p.name, p.emailAddress, p.creditCard, p.city, p.state, p.extra);
        ByteBuffer b = ByteBuffer.allocate(1 + 2 * 8 + size(s)).put((byte) 0).putLong(p.id);
        put(b, s, 0, 5).putLong(p.dateTime);
        return put(b, s, 5, 6).array();
      }
      if (e.auction != null) {
        Auction a = e.auction;
        byte[][] s = utf8(a.itemName, a.description, a.extra);
        ByteBuffer b = ByteBuffer.allocate(1 + 7 * 8 + size(s)).put((byte) 1).putLong(a.id);
        put(b, s, 0, 2).putLong(a.initialBid).putLong(a.reserve).putLong(a.dateTime).putLong(a.expires).putLong(a.seller).putLong(a.category);
        return put(b, s, 2, 3).array();
      }
      if (e.bid != null) {
        Bid d = e.bid;
        byte[][] s = utf8(d.channel, d.url, d.extra);
        ByteBuffer b = ByteBuffer.allocate(1 + 4 * 8 + size(s)).put((byte) 2).putLong(d.auction).putLong(d.bidder).putLong(d.price);
        put(b, s, 0, 2).putLong(d.dateTime);
        return put(b, s, 2, 3).array();
      }
      throw new SerializationException("an event with no person, auction or bid");
    };
    Deserializer<Event> de = (topic, bytes) -> {
      if (bytes == null) return null;
      ByteBuffer b = ByteBuffer.wrap(bytes);
      Event e = new Event();
      e.event_type = b.get();
      switch (e.event_type) {
        case 0 -> {
          Person p = e.person = new Person();
          p.id = b.getLong();
          p.name = str(b);
          p.emailAddress = str(b);
          p.creditCard = str(b);
          p.city = str(b);
          p.state = str(b);
          p.dateTime = b.getLong();
          p.extra = str(b);
        }
        case 1 -> {
          Auction a = e.auction = new Auction();
          a.id = b.getLong();
          a.itemName = str(b);
          a.description = str(b);
          a.initialBid = b.getLong();
          a.reserve = b.getLong();
          a.dateTime = b.getLong();
          a.expires = b.getLong();
          a.seller = b.getLong();
          a.category = b.getLong();
          a.extra = str(b);
        }
        case 2 -> {
          Bid d = e.bid = new Bid();
          d.auction = b.getLong();
          d.bidder = b.getLong();
          d.price = b.getLong();
          d.channel = str(b);
          d.url = str(b);
          d.dateTime = b.getLong();
          d.extra = str(b);
        }
        default -> throw new SerializationException("unknown event type byte " + e.event_type);
      }
      if (b.hasRemaining()) throw new SerializationException(b.remaining() + " bytes after an event");
      return e;
    };
    return Serdes.serdeFrom(ser, de);
  }

  private static byte[][] utf8(String... strings) {
    byte[][] out = new byte[strings.length][];
    for (int i = 0; i < strings.length; i++) if (strings[i] != null) out[i] = strings[i].getBytes(StandardCharsets.UTF_8);
    return out;
  }

  /** The bytes the strings take: an int length each, and their bytes. */
  private static int size(byte[][] s) {
    int n = 4 * s.length;
    for (byte[] x : s) if (x != null) n += x.length;
    return n;
  }

  /** Writes s[from, to) (length or -1 for null, then the bytes). */
  private static ByteBuffer put(ByteBuffer b, byte[][] s, int from, int to) {
    for (int i = from; i < to; i++) {
      if (s[i] == null) b.putInt(-1);
      else b.putInt(s[i].length).put(s[i]);
    }
    return b;
  }

  private static String str(ByteBuffer b) {
    int n = b.getInt();
    if (n < 0) return null;
    String s = new String(b.array(), b.position(), n, StandardCharsets.UTF_8);
    b.position(b.position() + n);
    return s;
  }
}
