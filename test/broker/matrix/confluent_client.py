"""confluent-kafka (librdkafka) side of the broker's client matrix (test/broker/matrix/driver.ts).
Same commands and output as kafka_python_client.py."""
import json, signal, sys
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition, OFFSET_BEGINNING
from confluent_kafka.admin import AdminClient, NewTopic

cmd, bootstrap, topic = sys.argv[1], sys.argv[2], sys.argv[3]

def check(m):
    if m.error():
        raise KafkaException(m.error())
    return m

if cmd == 'create-topic':
    admin = AdminClient({'bootstrap.servers': bootstrap})
    for f in admin.create_topics([NewTopic(topic, int(sys.argv[4]), 1)]).values():
        f.result(15)
elif cmd == 'produce':
    errors = []
    p = Producer({'bootstrap.servers': bootstrap, 'acks': 'all', 'linger.ms': 5, 'compression.type': sys.argv[4]})
    for line in sys.stdin:
        r = json.loads(line)
        p.produce(topic, key=None if r['key'] is None else r['key'].encode(), value=r['value'].encode(),
                  on_delivery=lambda err, _m: err and errors.append(err))
    if p.flush(20) != 0 or errors:
        raise SystemExit('not delivered: %r' % errors)
elif cmd == 'consume':
    count = int(sys.argv[4])
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'matrix-reader', 'enable.auto.commit': False})
    parts = c.list_topics(topic, 10).topics[topic].partitions
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in sorted(parts)])
    seen = 0
    while seen < count:
        m = c.poll(20)
        if m is None:
            raise SystemExit('only %d of %d records within 20 s' % (seen, count))
        check(m)
        key = '-' if m.key() is None else m.key().decode()
        print(m.partition(), m.offset(), key, m.value().decode(), flush=True)
        seen += 1
    c.close()
elif cmd == 'member':
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': sys.argv[4], 'auto.offset.reset': 'earliest',
                  'enable.auto.commit': False, 'session.timeout.ms': 10000, 'heartbeat.interval.ms': 500})
    c.subscribe([topic])
    while not stopping:
        msgs = c.consume(100, 0.2)
        for m in msgs:
            check(m)
            print(m.partition(), m.offset(), m.value().decode(), flush=True)
        if msgs:
            c.commit(asynchronous=False)
    c.close()  # LeaveGroup
else:
    raise SystemExit('unknown command ' + cmd)
