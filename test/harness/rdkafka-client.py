"""librdkafka (through confluent-kafka) with exactly the properties given, for the tests.

Reads one JSON object from stdin: {"properties": {...librdkafka properties...}, "action": "produce"
or "consume", "topic": str, "value": str (produce), "timeout": seconds}. Prints one JSON line: {"ok":
true, ...} or {"ok": false, "error": "<librdkafka error name>", "reason": "<text>"}. Exit code 0 either way
unless the input is wrong.
"""
import json
import sys

from confluent_kafka import Consumer, KafkaException, Producer


def produce(props, topic, value, timeout):
    errors = []
    producer = Producer(props, error_cb=lambda e: errors.append(e))
    delivered = []
    producer.produce(topic, value.encode(), callback=lambda err, msg: delivered.append(err))
    remaining = producer.flush(timeout)
    if delivered and delivered[0] is None:
        return {"ok": True}
    err = delivered[0] if delivered else (errors[-1] if errors else None)
    if err is None:
        return {"ok": False, "error": "TIMED_OUT", "reason": f"{remaining} message(s) undelivered after {timeout}s"}
    return {"ok": False, "error": err.name(), "reason": err.str()}


def consume(props, topic, timeout):
    errors = []
    consumer = Consumer({**props, "auto.offset.reset": "earliest", "enable.auto.commit": False}, error_cb=lambda e: errors.append(e))
    consumer.subscribe([topic])
    try:
        msg = consumer.poll(timeout)
        if msg is None:
            err = errors[-1] if errors else None
            return {"ok": False, "error": err.name() if err else "TIMED_OUT", "reason": err.str() if err else "no record"}
        if msg.error():
            return {"ok": False, "error": msg.error().name(), "reason": msg.error().str()}
        return {"ok": True, "value": msg.value().decode()}
    except KafkaException as e:
        return {"ok": False, "error": e.args[0].name(), "reason": e.args[0].str()}
    finally:
        consumer.close()


def main():
    request = json.load(sys.stdin)
    props = dict(request["properties"])
    timeout = float(request.get("timeout", 30))
    if request["action"] == "produce":
        result = produce(props, request["topic"], request["value"], timeout)
    else:
        result = consume({**props, "group.id": request.get("group", "klaxon-rdkafka-test")}, request["topic"], timeout)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
