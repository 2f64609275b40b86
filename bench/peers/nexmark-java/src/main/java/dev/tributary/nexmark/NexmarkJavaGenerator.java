package dev.tributary.nexmark;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * A Java port of Apache Beam's Nexmark event generator (sdks/java/testing/nexmark:
 * NexmarkConfiguration's generator fields, NexmarkUtils.RateShape/RateUnit, GeneratorConfig,
 * Generator, and sources/generator/model/{Person,Auction,Bid,Price,Strings,Long}Generator), kept
 * to the same structure and arithmetic, on the real java.util.Random, Math.pow, Math.round and
 * String.format, so that it yields Beam's events. Beam's nexmark jar is not on Maven Central, hence
 * this port (our own code, not a copy); Beam-only machinery (coders, Joda time, Jackson,
 * checkpoints, wallclock pacing) is left out: timestamps are epoch milliseconds.
 *
 * Defaults are Tributary's DEFAULT_CONFIG (bench/nexmark/config.ts): Beam's NexmarkConfiguration
 * except numEventGenerators = 1 (one timeline at firstEventRate; Beam's 100 assumes a 100-way
 * split source) and two additions, identical in Tributary's generator (bidChannels=false seed=0
 * numEventGenerators=100 gives Beam's standardEventIterator exactly):
 * - bidChannels: the bid channel/url fields of the nexmark/nexmark (Flink) benchmark, drawn from the
 *   event's Random after all of Beam's fields (so Beam's fields are unchanged), with URLs from fixed
 *   seeds (nexmark/nexmark draws them from an unseeded Random);
 * - seed: added to each event's Random seed (0 = Beam).
 *
 * Usage: java dev.tributary.nexmark.NexmarkJavaGenerator [key=value ...]
 *   keys: the NexmarkConfig fields of bench/nexmark/config.ts (numEvents, numEventGenerators,
 *   rateShape=square|sine, firstEventRate, nextEventRate, rateUnit=second|minute, ratePeriodSec,
 *   avgPersonByteSize, avgAuctionByteSize, avgBidByteSize, hotAuctionRatio, hotSellersRatio,
 *   hotBiddersRatio, numInFlightAuctions, numActivePeople, outOfOrderGroupSize, baseTime,
 *   firstEventId, firstEventNumber, seed, bidChannels=true|false), plus split=N:I to print only
 *   sub-generator I of GeneratorConfig.split(N), and timestamps=true to prefix each line with
 *   "eventTimestamp watermark ".
 * Prints one JSON event per line, in bench/nexmark/model.ts eventToJson's format.
 */
public final class NexmarkJavaGenerator {

  // ------------------------------------------------------------------------------------------
  // NexmarkConfiguration (generator fields; defaults as Tributary's DEFAULT_CONFIG)

  static final class Config {
    long numEvents = 100_000;
    int numEventGenerators = 1;
    String rateShape = "sine";
    int firstEventRate = 10_000;
    int nextEventRate = 10_000;
    String rateUnit = "second";
    int ratePeriodSec = 600;
    int avgPersonByteSize = 200;
    int avgAuctionByteSize = 500;
    int avgBidByteSize = 100;
    int hotAuctionRatio = 2;
    int hotSellersRatio = 4;
    int hotBiddersRatio = 4;
    int numInFlightAuctions = 100;
    int numActivePeople = 1000;
    long outOfOrderGroupSize = 1;
    /** NexmarkUtils.BASE_TIME: 2015-07-15T00:00:00.000Z. */
    long baseTime = 1436918400000L;
    long firstEventId = 0;
    long firstEventNumber = 0;
    long seed = 0;
    boolean bidChannels = true;
  }

  // ------------------------------------------------------------------------------------------
  // NexmarkUtils.RateUnit / RateShape

  static long usPerUnit(String unit) {
    return unit.equals("second") ? 1_000_000L : 60_000_000L;
  }

  static long rateToPeriodUs(String unit, long rate) {
    return (usPerUnit(unit) + rate / 2) / rate;
  }

  static long[] interEventDelayUs(String shape, int firstRate, int nextRate, String unit, int numGenerators) {
    if (firstRate == nextRate) {
      return new long[] {rateToPeriodUs(unit, firstRate) * numGenerators};
    }
    if (shape.equals("square")) {
      return new long[] {
        rateToPeriodUs(unit, firstRate) * numGenerators, rateToPeriodUs(unit, nextRate) * numGenerators
      };
    }
    final int n = 10;
    double mid = (firstRate + nextRate) / 2.0;
    double amp = (firstRate - nextRate) / 2.0;
    long[] delays = new long[n];
    for (int i = 0; i < n; i++) {
      double r = (2.0 * Math.PI * i) / n;
      double rate = mid + amp * Math.cos(r);
      delays[i] = rateToPeriodUs(unit, Math.round(rate)) * numGenerators;
    }
    return delays;
  }

  static int stepLengthSec(String shape, int ratePeriodSec) {
    int n = shape.equals("square") ? 2 : 10;
    return (ratePeriodSec + n - 1) / n;
  }

  // ------------------------------------------------------------------------------------------
  // GeneratorConfig

  static final long FIRST_AUCTION_ID = 1000L;
  static final long FIRST_PERSON_ID = 1000L;
  static final long FIRST_CATEGORY_ID = 10L;
  static final int PERSON_PROPORTION = 1;
  static final int AUCTION_PROPORTION = 3;
  static final int BID_PROPORTION = 46;
  static final int PROPORTION_DENOMINATOR = PERSON_PROPORTION + AUCTION_PROPORTION + BID_PROPORTION;

  static final class GeneratorConfig {
    final Config configuration;
    final long[] interEventDelayUs;
    final long stepLengthSec;
    final long baseTime;
    final long firstEventId;
    final long maxEvents;
    final long firstEventNumber;
    final long epochPeriodMs;
    final long eventsPerEpoch;

    GeneratorConfig(Config configuration, long baseTime, long firstEventId, long maxEventsOrZero, long firstEventNumber) {
      this.configuration = configuration;
      this.interEventDelayUs =
          interEventDelayUs(
              configuration.rateShape,
              configuration.firstEventRate,
              configuration.nextEventRate,
              configuration.rateUnit,
              configuration.numEventGenerators);
      this.stepLengthSec = stepLengthSec(configuration.rateShape, configuration.ratePeriodSec);
      this.baseTime = baseTime;
      this.firstEventId = firstEventId;
      if (maxEventsOrZero == 0) {
        // Tributary caps at 2^53 - 1 (a double's exact range) where Beam uses Long.MAX_VALUE.
        this.maxEvents =
            ((1L << 53) - 1)
                / ((long) PROPORTION_DENOMINATOR
                    * Math.max(
                        Math.max(configuration.avgPersonByteSize, configuration.avgAuctionByteSize),
                        configuration.avgBidByteSize));
      } else {
        this.maxEvents = maxEventsOrZero;
      }
      this.firstEventNumber = firstEventNumber;
      long eventsPerEpoch = 0;
      long epochPeriodMs = 0;
      if (interEventDelayUs.length > 1) {
        for (long d : interEventDelayUs) {
          long numEventsForThisCycle = (stepLengthSec * 1_000_000L) / d;
          eventsPerEpoch += numEventsForThisCycle;
          epochPeriodMs += (numEventsForThisCycle * d) / 1000L;
        }
      }
      this.eventsPerEpoch = eventsPerEpoch;
      this.epochPeriodMs = epochPeriodMs;
    }

    GeneratorConfig copyWith(long firstEventId, long maxEvents, long firstEventNumber) {
      return new GeneratorConfig(configuration, baseTime, firstEventId, maxEvents, firstEventNumber);
    }

    List<GeneratorConfig> split(int n) {
      List<GeneratorConfig> results = new ArrayList<>();
      if (n == 1) {
        results.add(this);
      } else {
        long subMaxEvents = maxEvents / n;
        long subFirstEventId = firstEventId;
        for (int i = 0; i < n; i++) {
          if (i == n - 1) {
            subMaxEvents = maxEvents - subMaxEvents * (n - 1);
          }
          results.add(copyWith(subFirstEventId, subMaxEvents, firstEventNumber));
          subFirstEventId += subMaxEvents;
        }
      }
      return results;
    }

    long nextEventNumber(long numEvents) {
      return firstEventNumber + numEvents;
    }

    long nextAdjustedEventNumber(long numEvents) {
      long n = configuration.outOfOrderGroupSize;
      long eventNumber = nextEventNumber(numEvents);
      long base = (eventNumber / n) * n;
      long offset = (eventNumber * 953) % n;
      return base + offset;
    }

    long nextEventNumberForWatermark(long numEvents) {
      long n = configuration.outOfOrderGroupSize;
      long eventNumber = nextEventNumber(numEvents);
      return (eventNumber / n) * n;
    }

    /** timestampAndInterEventDelayUsForEvent(eventNumber).getKey(). */
    long timestampForEvent(long eventNumber) {
      if (interEventDelayUs.length == 1) {
        return baseTime + (eventNumber * interEventDelayUs[0]) / 1000L;
      }
      long epoch = eventNumber / eventsPerEpoch;
      long n = eventNumber % eventsPerEpoch;
      long offsetInEpochMs = 0;
      for (long d : interEventDelayUs) {
        long numEventsForThisCycle = (stepLengthSec * 1_000_000L) / d;
        if (n < numEventsForThisCycle) {
          long offsetInCycleUs = n * d;
          return baseTime + epoch * epochPeriodMs + offsetInEpochMs + (offsetInCycleUs / 1000L);
        }
        n -= numEventsForThisCycle;
        offsetInEpochMs += (numEventsForThisCycle * d) / 1000L;
      }
      throw new RuntimeException("internal eventsPerEpoch incorrect");
    }
  }

  // ------------------------------------------------------------------------------------------
  // model

  interface Event {
    void appendJson(StringBuilder sb);
  }

  static final class Person implements Event {
    final long id;
    final String name, emailAddress, creditCard, city, state;
    final long dateTime;
    final String extra;

    Person(long id, String name, String emailAddress, String creditCard, String city, String state, long dateTime, String extra) {
      this.id = id;
      this.name = name;
      this.emailAddress = emailAddress;
      this.creditCard = creditCard;
      this.city = city;
      this.state = state;
      this.dateTime = dateTime;
      this.extra = extra;
    }

    @Override
    public void appendJson(StringBuilder sb) {
      sb.append("{\"event_type\":0,\"person\":{\"id\":").append(id);
      str(sb.append(",\"name\":"), name);
      str(sb.append(",\"emailAddress\":"), emailAddress);
      str(sb.append(",\"creditCard\":"), creditCard);
      str(sb.append(",\"city\":"), city);
      str(sb.append(",\"state\":"), state);
      sb.append(",\"dateTime\":").append(dateTime);
      str(sb.append(",\"extra\":"), extra);
      sb.append("}}");
    }
  }

  static final class Auction implements Event {
    final long id;
    final String itemName, description;
    final long initialBid, reserve, dateTime, expires, seller, category;
    final String extra;

    Auction(long id, String itemName, String description, long initialBid, long reserve, long dateTime, long expires, long seller, long category, String extra) {
      this.id = id;
      this.itemName = itemName;
      this.description = description;
      this.initialBid = initialBid;
      this.reserve = reserve;
      this.dateTime = dateTime;
      this.expires = expires;
      this.seller = seller;
      this.category = category;
      this.extra = extra;
    }

    @Override
    public void appendJson(StringBuilder sb) {
      sb.append("{\"event_type\":1,\"auction\":{\"id\":").append(id);
      str(sb.append(",\"itemName\":"), itemName);
      str(sb.append(",\"description\":"), description);
      sb.append(",\"initialBid\":").append(initialBid);
      sb.append(",\"reserve\":").append(reserve);
      sb.append(",\"dateTime\":").append(dateTime);
      sb.append(",\"expires\":").append(expires);
      sb.append(",\"seller\":").append(seller);
      sb.append(",\"category\":").append(category);
      str(sb.append(",\"extra\":"), extra);
      sb.append("}}");
    }
  }

  static final class Bid implements Event {
    final long auction, bidder, price;
    final String channel, url;
    final long dateTime;
    final String extra;

    Bid(long auction, long bidder, long price, String channel, String url, long dateTime, String extra) {
      this.auction = auction;
      this.bidder = bidder;
      this.price = price;
      this.channel = channel;
      this.url = url;
      this.dateTime = dateTime;
      this.extra = extra;
    }

    @Override
    public void appendJson(StringBuilder sb) {
      sb.append("{\"event_type\":2,\"bid\":{\"auction\":").append(auction);
      sb.append(",\"bidder\":").append(bidder);
      sb.append(",\"price\":").append(price);
      str(sb.append(",\"channel\":"), channel);
      str(sb.append(",\"url\":"), url);
      sb.append(",\"dateTime\":").append(dateTime);
      str(sb.append(",\"extra\":"), extra);
      sb.append("}}");
    }
  }

  /** A JSON string literal (escapes as JSON.stringify does for these characters). */
  static void str(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    sb.append('"');
  }

  // ------------------------------------------------------------------------------------------
  // LongGenerator, PriceGenerator, StringsGenerator

  static long nextLong(Random random, long n) {
    if (n < Integer.MAX_VALUE) {
      return random.nextInt((int) n);
    } else {
      return Math.abs(random.nextLong() % n);
    }
  }

  static long nextPrice(Random random) {
    return Math.round(Math.pow(10.0, random.nextDouble() * 6.0) * 100.0);
  }

  static final int MIN_STRING_LENGTH = 3;

  static String nextString(Random random, int maxLength) {
    return nextString(random, maxLength, ' ');
  }

  static String nextString(Random random, int maxLength, char special) {
    int len = MIN_STRING_LENGTH + random.nextInt(maxLength - MIN_STRING_LENGTH);
    StringBuilder sb = new StringBuilder();
    while (len-- > 0) {
      if (random.nextInt(13) == 0) {
        sb.append(special);
      } else {
        sb.append((char) ('a' + random.nextInt(26)));
      }
    }
    return sb.toString().trim();
  }

  static String nextExactString(Random random, int length) {
    StringBuilder sb = new StringBuilder();
    int rnd = 0;
    int n = 0;
    while (length-- > 0) {
      if (n == 0) {
        rnd = random.nextInt();
        n = 6;
      }
      sb.append((char) ('a' + rnd % 26));
      rnd /= 26;
      n--;
    }
    return sb.toString();
  }

  static String nextExtra(Random random, int currentSize, int desiredAverageSize) {
    if (currentSize > desiredAverageSize) {
      return "";
    }
    desiredAverageSize -= currentSize;
    int delta = (int) Math.round(desiredAverageSize * 0.2);
    int minSize = desiredAverageSize - delta;
    int desiredSize = minSize + (delta == 0 ? 0 : random.nextInt(2 * delta));
    return nextExactString(random, desiredSize);
  }

  // ------------------------------------------------------------------------------------------
  // PersonGenerator

  static final int PERSON_ID_LEAD = 10;
  static final List<String> US_STATES = Arrays.asList("AZ,CA,ID,OR,WA,WY".split(","));
  static final List<String> US_CITIES =
      Arrays.asList(
          "Phoenix,Los Angeles,San Francisco,Boise,Portland,Bend,Redmond,Seattle,Kent,Cheyenne".split(","));
  static final List<String> FIRST_NAMES =
      Arrays.asList("Peter,Paul,Luke,John,Saul,Vicky,Kate,Julie,Sarah,Deiter,Walter".split(","));
  static final List<String> LAST_NAMES =
      Arrays.asList("Shultz,Abrams,Spencer,White,Bartels,Walton,Smith,Jones,Noris".split(","));

  static Person nextPerson(long nextEventId, Random random, long timestamp, GeneratorConfig config) {
    long id = lastBase0PersonId(nextEventId) + FIRST_PERSON_ID;
    String name =
        FIRST_NAMES.get(random.nextInt(FIRST_NAMES.size())) + " " + LAST_NAMES.get(random.nextInt(LAST_NAMES.size()));
    String email = nextString(random, 7) + "@" + nextString(random, 5) + ".com";
    StringBuilder cc = new StringBuilder();
    for (int i = 0; i < 4; i++) {
      if (i > 0) {
        cc.append(' ');
      }
      cc.append(String.format("%04d", random.nextInt(10000)));
    }
    String creditCard = cc.toString();
    String city = US_CITIES.get(random.nextInt(US_CITIES.size()));
    String state = US_STATES.get(random.nextInt(US_STATES.size()));
    int currentSize = 8 + name.length() + email.length() + creditCard.length() + city.length() + state.length();
    String extra = nextExtra(random, currentSize, config.configuration.avgPersonByteSize);
    return new Person(id, name, email, creditCard, city, state, timestamp, extra);
  }

  static long nextBase0PersonId(long eventId, Random random, GeneratorConfig config) {
    long numPeople = lastBase0PersonId(eventId) + 1;
    long activePeople = Math.min(numPeople, config.configuration.numActivePeople);
    long n = nextLong(random, activePeople + PERSON_ID_LEAD);
    return numPeople - activePeople + n;
  }

  static long lastBase0PersonId(long eventId) {
    long epoch = eventId / PROPORTION_DENOMINATOR;
    long offset = eventId % PROPORTION_DENOMINATOR;
    if (offset >= PERSON_PROPORTION) {
      offset = PERSON_PROPORTION - 1;
    }
    return epoch * PERSON_PROPORTION + offset;
  }

  // ------------------------------------------------------------------------------------------
  // AuctionGenerator

  static final int NUM_CATEGORIES = 5;
  static final int AUCTION_ID_LEAD = 10;
  static final int HOT_SELLER_RATIO = 100;

  static Auction nextAuction(long eventsCountSoFar, long eventId, Random random, long timestamp, GeneratorConfig config) {
    long id = lastBase0AuctionId(eventId) + FIRST_AUCTION_ID;
    long seller;
    if (random.nextInt(config.configuration.hotSellersRatio) > 0) {
      seller = (lastBase0PersonId(eventId) / HOT_SELLER_RATIO) * HOT_SELLER_RATIO;
    } else {
      seller = nextBase0PersonId(eventId, random, config);
    }
    seller += FIRST_PERSON_ID;
    long category = FIRST_CATEGORY_ID + random.nextInt(NUM_CATEGORIES);
    long initialBid = nextPrice(random);
    long expires = timestamp + nextAuctionLengthMs(eventsCountSoFar, random, timestamp, config);
    String name = nextString(random, 20);
    String desc = nextString(random, 100);
    long reserve = initialBid + nextPrice(random);
    int currentSize = 8 + name.length() + desc.length() + 8 + 8 + 8 + 8 + 8;
    String extra = nextExtra(random, currentSize, config.configuration.avgAuctionByteSize);
    return new Auction(id, name, desc, initialBid, reserve, timestamp, expires, seller, category, extra);
  }

  static long lastBase0AuctionId(long eventId) {
    long epoch = eventId / PROPORTION_DENOMINATOR;
    long offset = eventId % PROPORTION_DENOMINATOR;
    if (offset < PERSON_PROPORTION) {
      epoch--;
      offset = AUCTION_PROPORTION - 1;
    } else if (offset >= PERSON_PROPORTION + AUCTION_PROPORTION) {
      offset = AUCTION_PROPORTION - 1;
    } else {
      offset -= PERSON_PROPORTION;
    }
    return epoch * AUCTION_PROPORTION + offset;
  }

  static long nextBase0AuctionId(long nextEventId, Random random, GeneratorConfig config) {
    long minAuction = Math.max(lastBase0AuctionId(nextEventId) - config.configuration.numInFlightAuctions, 0);
    long maxAuction = lastBase0AuctionId(nextEventId);
    return minAuction + nextLong(random, maxAuction - minAuction + 1 + AUCTION_ID_LEAD);
  }

  static long nextAuctionLengthMs(long eventsCountSoFar, Random random, long timestamp, GeneratorConfig config) {
    long currentEventNumber = config.nextAdjustedEventNumber(eventsCountSoFar);
    long numEventsForAuctions =
        ((long) config.configuration.numInFlightAuctions * PROPORTION_DENOMINATOR) / AUCTION_PROPORTION;
    long futureAuction = config.timestampForEvent(currentEventNumber + numEventsForAuctions);
    long horizonMs = futureAuction - timestamp;
    return 1L + nextLong(random, Math.max(horizonMs * 2, 1L));
  }

  // ------------------------------------------------------------------------------------------
  // BidGenerator (+ the channel/url extension)

  static final int HOT_AUCTION_RATIO = 100;
  static final int HOT_BIDDER_RATIO = 100;
  static final int HOT_CHANNELS_RATIO = 2;
  static final int CHANNELS_NUMBER = 10_000;
  static final String[] HOT_CHANNELS = new String[] {"Google", "Facebook", "Baidu", "Apple"};
  static final String[] HOT_URLS = new String[HOT_CHANNELS.length];
  static final String[] CHANNEL_URLS = new String[CHANNELS_NUMBER];

  static {
    for (int i = 0; i < HOT_URLS.length; i++) {
      HOT_URLS[i] = baseUrl(new Random(-1L - i));
    }
  }

  static String baseUrl(Random random) {
    return "https://www.nexmark.com/"
        + nextString(random, 5, '_') + '/'
        + nextString(random, 5, '_') + '/'
        + nextString(random, 5, '_') + '/'
        + "item.htm?query=1";
  }

  static String channelUrl(int channelNumber) {
    String url = CHANNEL_URLS[channelNumber];
    if (url == null) {
      Random random = new Random(channelNumber);
      url = baseUrl(random);
      if (random.nextInt(10) > 0) {
        url = url + "&channel_id=" + Math.abs(Integer.reverse(channelNumber));
      }
      CHANNEL_URLS[channelNumber] = url;
    }
    return url;
  }

  static Bid nextBid(long eventId, Random random, long timestamp, GeneratorConfig config) {
    long auction;
    if (random.nextInt(config.configuration.hotAuctionRatio) > 0) {
      auction = (lastBase0AuctionId(eventId) / HOT_AUCTION_RATIO) * HOT_AUCTION_RATIO;
    } else {
      auction = nextBase0AuctionId(eventId, random, config);
    }
    auction += FIRST_AUCTION_ID;

    long bidder;
    if (random.nextInt(config.configuration.hotBiddersRatio) > 0) {
      bidder = (lastBase0PersonId(eventId) / HOT_BIDDER_RATIO) * HOT_BIDDER_RATIO + 1;
    } else {
      bidder = nextBase0PersonId(eventId, random, config);
    }
    bidder += FIRST_PERSON_ID;

    long price = nextPrice(random);
    int currentSize = 8 + 8 + 8 + 8;
    String extra = nextExtra(random, currentSize, config.configuration.avgBidByteSize);

    String channel = "";
    String url = "";
    if (config.configuration.bidChannels) {
      if (random.nextInt(HOT_CHANNELS_RATIO) > 0) {
        int i = random.nextInt(HOT_CHANNELS.length);
        channel = HOT_CHANNELS[i];
        url = HOT_URLS[i];
      } else {
        int n = random.nextInt(CHANNELS_NUMBER);
        channel = "channel-" + n;
        url = channelUrl(n);
      }
    }
    return new Bid(auction, bidder, price, channel, url, timestamp, extra);
  }

  // ------------------------------------------------------------------------------------------
  // Generator

  static final class Generator {
    final GeneratorConfig config;
    long eventsCountSoFar;
    long lastEventTimestamp;
    long lastWatermark;

    Generator(GeneratorConfig config) {
      this.config = config;
    }

    boolean hasNext() {
      return eventsCountSoFar < config.maxEvents;
    }

    long getNextEventId() {
      return config.firstEventId + config.nextAdjustedEventNumber(eventsCountSoFar);
    }

    Event nextEvent() {
      long adjustedEventTimestamp = config.timestampForEvent(config.nextAdjustedEventNumber(eventsCountSoFar));
      long watermark = config.timestampForEvent(config.nextEventNumberForWatermark(eventsCountSoFar));
      long newEventId = getNextEventId();
      Random random = new Random(newEventId + config.configuration.seed);
      long rem = newEventId % PROPORTION_DENOMINATOR;
      Event event;
      if (rem < PERSON_PROPORTION) {
        event = nextPerson(newEventId, random, adjustedEventTimestamp, config);
      } else if (rem < PERSON_PROPORTION + AUCTION_PROPORTION) {
        event = nextAuction(eventsCountSoFar, newEventId, random, adjustedEventTimestamp, config);
      } else {
        event = nextBid(newEventId, random, adjustedEventTimestamp, config);
      }
      eventsCountSoFar++;
      lastEventTimestamp = adjustedEventTimestamp;
      lastWatermark = watermark;
      return event;
    }
  }

  // ------------------------------------------------------------------------------------------
  // main

  public static void main(String[] args) throws IOException {
    Config c = new Config();
    int splitN = 1;
    int splitI = 0;
    boolean timestamps = false;
    for (String arg : args) {
      int eq = arg.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException("expected key=value, got " + arg);
      }
      String k = arg.substring(0, eq);
      String v = arg.substring(eq + 1);
      switch (k) {
        case "numEvents": c.numEvents = Long.parseLong(v); break;
        case "numEventGenerators": c.numEventGenerators = Integer.parseInt(v); break;
        case "rateShape": c.rateShape = v; break;
        case "firstEventRate": c.firstEventRate = Integer.parseInt(v); break;
        case "nextEventRate": c.nextEventRate = Integer.parseInt(v); break;
        case "rateUnit": c.rateUnit = v; break;
        case "ratePeriodSec": c.ratePeriodSec = Integer.parseInt(v); break;
        case "avgPersonByteSize": c.avgPersonByteSize = Integer.parseInt(v); break;
        case "avgAuctionByteSize": c.avgAuctionByteSize = Integer.parseInt(v); break;
        case "avgBidByteSize": c.avgBidByteSize = Integer.parseInt(v); break;
        case "hotAuctionRatio": c.hotAuctionRatio = Integer.parseInt(v); break;
        case "hotSellersRatio": c.hotSellersRatio = Integer.parseInt(v); break;
        case "hotBiddersRatio": c.hotBiddersRatio = Integer.parseInt(v); break;
        case "numInFlightAuctions": c.numInFlightAuctions = Integer.parseInt(v); break;
        case "numActivePeople": c.numActivePeople = Integer.parseInt(v); break;
        case "outOfOrderGroupSize": c.outOfOrderGroupSize = Long.parseLong(v); break;
        case "baseTime": c.baseTime = Long.parseLong(v); break;
        case "firstEventId": c.firstEventId = Long.parseLong(v); break;
        case "firstEventNumber": c.firstEventNumber = Long.parseLong(v); break;
        case "seed": c.seed = Long.parseLong(v); break;
        case "bidChannels": c.bidChannels = Boolean.parseBoolean(v); break;
        case "timestamps": timestamps = Boolean.parseBoolean(v); break;
        case "split": {
          String[] p = v.split(":");
          splitN = Integer.parseInt(p[0]);
          splitI = Integer.parseInt(p[1]);
          break;
        }
        default: throw new IllegalArgumentException("unknown key " + k);
      }
    }
    GeneratorConfig config = new GeneratorConfig(c, c.baseTime, c.firstEventId, c.numEvents, c.firstEventNumber);
    Generator gen = new Generator(config.split(splitN).get(splitI));
    OutputStream out = new BufferedOutputStream(System.out, 1 << 16);
    StringBuilder sb = new StringBuilder(1024);
    while (gen.hasNext()) {
      sb.setLength(0);
      Event e = gen.nextEvent();
      if (timestamps) {
        sb.append(gen.lastEventTimestamp).append(' ').append(gen.lastWatermark).append(' ');
      }
      e.appendJson(sb);
      sb.append('\n');
      out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
    }
    out.flush();
  }
}
