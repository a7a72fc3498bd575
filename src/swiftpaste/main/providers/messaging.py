"""Kafka: the broker the relay publishes through, and the API's view publisher."""

from dishka import Provider, Scope, provide
from faststream.kafka import KafkaBroker

from swiftpaste.application.ports.snippets import ViewRecorder
from swiftpaste.infrastructure.messaging.broker import KafkaOptions, TopicSpec, make_broker
from swiftpaste.infrastructure.messaging.views import KafkaViewPublisher, ViewPublisherOptions
from swiftpaste.infrastructure.persistence.outbox import OutboxTopics
from swiftpaste.main.settings import Settings


def kafka_topics(settings: Settings) -> list[TopicSpec]:
    replication = settings.kafka_replication_factor
    return [
        TopicSpec(
            settings.kafka_snippet_events_topic,
            settings.kafka_snippet_events_partitions,
            replication,
        ),
        TopicSpec(
            settings.kafka_snippet_views_topic, settings.kafka_snippet_views_partitions, replication
        ),
        TopicSpec(
            settings.kafka_dead_letter_topic, settings.kafka_dead_letter_partitions, replication
        ),
    ]


class MessagingProvider(Provider):
    scope = Scope.APP

    @provide
    def broker(self, settings: Settings) -> KafkaBroker:
        return make_broker(
            KafkaOptions(
                bootstrap_servers=settings.kafka_bootstrap_servers,
                client_id=settings.kafka_client_id,
                enable_idempotence=settings.kafka_enable_idempotence,
                request_timeout_ms=settings.kafka_request_timeout_ms,
            ),
        )

    @provide
    def view_publisher(self, settings: Settings) -> KafkaViewPublisher:
        return KafkaViewPublisher(
            ViewPublisherOptions(
                bootstrap_servers=settings.kafka_bootstrap_servers,
                client_id=settings.kafka_client_id,
                topic=settings.kafka_snippet_views_topic,
                buffer_size=settings.views_buffer_size,
                linger_ms=settings.views_linger_ms,
                request_timeout_ms=settings.kafka_request_timeout_ms,
            ),
            kafka_topics(settings),
        )

    @provide
    def view_recorder(self, publisher: KafkaViewPublisher) -> ViewRecorder:
        return publisher

    @provide
    def outbox_topics(self, settings: Settings) -> OutboxTopics:
        return OutboxTopics(lifecycle=settings.kafka_snippet_events_topic)
