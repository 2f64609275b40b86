"""kafka-python side of the broker's client matrix (test/broker/matrix/driver.ts).

  create-topic BOOTSTRAP TOPIC PARTITIONS
  produce BOOTSTRAP TOPIC CODEC        stdin: JSON lines {"key": str|null, "value": str}
  consume BOOTSTRAP TOPIC COUNT        from the beginning, no group; prints "partition offset key value"
  member BOOTSTRAP TOPIC GROUP         a group member; prints "partition offset value" per record and
                                       commits after each poll; SIGTERM makes it leave the group and exit
"""
import json, signal, sys
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic

cmd, bootstrap, topic = sys.argv[1], sys.argv[2], sys.argv[3]

if cmd == 'create-topic':
    admin = KafkaAdminClient(bootstrap_servers=[bootstrap])
    admin.create_topics([NewTopic(name=topic, num_partitions=int(sys.argv[4]), replication_factor=1)])
    admin.close()
elif cmd == 'produce':
    codec = sys.argv[4]
    p = KafkaProducer(bootstrap_servers=[bootstrap], acks='all', linger_ms=5,
                      compression_type=None if codec == 'none' else codec)
    for line in sys.stdin:
        r = json.loads(line)
        p.send(topic, key=None if r['key'] is None else r['key'].encode(), value=r['value'].encode())
    p.flush()
    p.close()
elif cmd == 'consume':
    count = int(sys.argv[4])
    c = KafkaConsumer(bootstrap_servers=[bootstrap], group_id=None, auto_offset_reset='earliest',
                      enable_auto_commit=False, consumer_timeout_ms=20000)
    c.assign([TopicPartition(topic, p) for p in sorted(c.partitions_for_topic(topic))])
    seen = 0
    for m in c:
        key = '-' if m.key is None else m.key.decode()
        print(m.partition, m.offset, key, m.value.decode(), flush=True)
        seen += 1
        if seen == count:
            break
    c.close()
elif cmd == 'member':
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    c = KafkaConsumer(topic, bootstrap_servers=[bootstrap], group_id=sys.argv[4], auto_offset_reset='earliest',
                      enable_auto_commit=False, session_timeout_ms=10000, heartbeat_interval_ms=500,
                      max_poll_interval_ms=60000)
    while not stopping:
        polled = c.poll(timeout_ms=200)
        for records in polled.values():
            for m in records:
                print(m.partition, m.offset, m.value.decode(), flush=True)
        if polled:
            c.commit()
    c.close()  # commits nothing more (auto commit is off) and sends LeaveGroup
else:
    raise SystemExit('unknown command ' + cmd)
