"""The seed document's sample, runnable: a kafka-python consumer reads `test_topic` and writes every message back
to it (an echo), through a KafkaProducer. Against Tributary's own broker, with nothing else installed:

    npx tributary broker &                      # 127.0.0.1:9092
    /usr/bin/python3 examples/seed/echo.py      # Debian's python3-kafka

Unlike the seed's endless loop, it starts the echo with one message of its own, reads from the earliest offset (so it
sees that message even though it is written before the consumer joins) and stops after --max echoes.
"""
import argparse

from kafka import KafkaConsumer, KafkaProducer

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument('--bootstrap', default='localhost:9092')
parser.add_argument('--topic', default='test_topic')
parser.add_argument('--max', type=int, default=10, help='stop after this many echoes')
parser.add_argument('--message', default='hello from the seed sample')
args = parser.parse_args()

producer = KafkaProducer(bootstrap_servers=[args.bootstrap])
consumer = KafkaConsumer(args.topic, bootstrap_servers=[args.bootstrap], auto_offset_reset='earliest',
                         consumer_timeout_ms=15000)

producer.send(args.topic, args.message.encode())
producer.flush()

echoed = 0
for message in consumer:
    print(message.value.decode())
    producer.send(args.topic, message.value)
    echoed += 1
    if echoed >= args.max:
        break
producer.flush()
consumer.close()
producer.close()
