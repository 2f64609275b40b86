"""The broker bench's producer (bench/broker.ts): librdkafka through confluent-kafka-python.

  librdkafka-producer.py BOOTSTRAP TOPIC RECORDS SIZE PARTITIONS

Creates TOPIC with PARTITIONS partitions (if missing), then produces RECORDS values of SIZE bytes
with acks=all and prints one JSON object: records, seconds, and the produce latency percentiles
(produce() to delivery report, librdkafka's Message.latency(), as Kafka's producer perf test
measures it) in milliseconds. Latencies are kept in a fixed histogram of 0.1 ms buckets, so 5M
records cost no memory.
"""
import json, sys, time
from confluent_kafka import Producer, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap, topic, records, size, partitions = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])

admin = AdminClient({'bootstrap.servers': bootstrap})
for f in admin.create_topics([NewTopic(topic, partitions, 1)]).values():
    try:
        f.result(30)
    except KafkaException as e:
        if 'TOPIC_ALREADY_EXISTS' not in str(e):
            raise

BUCKET_MS = 0.1
buckets = [0] * 200000  # up to 20 s
errors = []
delivered = [0]

def on_delivery(err, msg):
    if err is not None:
        errors.append(str(err))
        return
    delivered[0] += 1
    b = int(msg.latency() * 1000 / BUCKET_MS)
    buckets[min(b, len(buckets) - 1)] += 1

p = Producer({
    'bootstrap.servers': bootstrap,
    'acks': 'all',
    'linger.ms': 5,
    'batch.num.messages': 10000,
    'batch.size': 1000000,
    # A bounded local queue (2 batches): the latency is the broker's, not a backlog's.
    'queue.buffering.max.messages': 20000,
    'enable.idempotence': False,
})
value = b'v' * size
start = time.monotonic()
for i in range(records):
    while True:
        try:
            p.produce(topic, value, on_delivery=on_delivery)
            break
        except BufferError:
            p.poll(0.005)
    if i % 1000 == 0:
        p.poll(0)
p.flush(120)
seconds = time.monotonic() - start
if errors or delivered[0] != records:
    raise SystemExit('delivered %d of %d, errors: %r' % (delivered[0], records, errors[:3]))

def percentile(q):
    want = q * records
    seen = 0
    for i, n in enumerate(buckets):
        seen += n
        if seen >= want:
            return round((i + 1) * BUCKET_MS, 1)
    return None

print(json.dumps({'records': records, 'seconds': seconds, 'p50_ms': percentile(0.5), 'p99_ms': percentile(0.99)}))
