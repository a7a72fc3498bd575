#!/usr/bin/env bash
# Creates SwiftPaste's Kafka topics with the partition counts of env/docker.env.
# Run once by the `kafka-init` service of compose.infra.yaml (in the apache/kafka image);
# safe to run again: existing topics are kept, and one with fewer partitions than
# configured is reported, not changed (adding partitions moves keys between them, which
# breaks the per-snippet order for a while: do it on purpose, see docs/operations.md,
# "Scaling").
set -euo pipefail
PATH="/opt/kafka/bin:${PATH}"

bootstrap="${KAFKA_BOOTSTRAP_SERVERS:?KAFKA_BOOTSTRAP_SERVERS is not set}"
replication="${KAFKA_REPLICATION_FACTOR:-1}"

ensure_topic() {
    local topic="$1" partitions="$2" current
    kafka-topics.sh --bootstrap-server "$bootstrap" --create --if-not-exists \
        --topic "$topic" --partitions "$partitions" --replication-factor "$replication"
    current="$(kafka-topics.sh --bootstrap-server "$bootstrap" --describe --topic "$topic" \
        | grep -o 'PartitionCount: *[0-9]*' | head -n 1 | grep -o '[0-9]*$' || true)"
    if [[ -n "$current" && "$current" -lt "$partitions" ]]; then
        echo "warning: topic $topic has $current partitions, $partitions configured;" \
             "add them with: kafka-topics.sh --bootstrap-server $bootstrap --alter" \
             "--topic $topic --partitions $partitions" >&2
    fi
    echo "topic $topic: ${current:-$partitions} partitions"
}

ensure_topic "${KAFKA_SNIPPET_EVENTS_TOPIC:?}" "${KAFKA_SNIPPET_EVENTS_PARTITIONS:?}"
ensure_topic "${KAFKA_SNIPPET_VIEWS_TOPIC:?}" "${KAFKA_SNIPPET_VIEWS_PARTITIONS:?}"
ensure_topic "${KAFKA_DEAD_LETTER_TOPIC:?}" "${KAFKA_DEAD_LETTER_PARTITIONS:?}"
