-- Upstream's agent fields for notifications and event ingestion, accepted by PATCH /agents/{id}:
-- whether the agent posts to Slack, and where its external events come from. Stored as given; the
-- Slack and ingest adapters that act on them are separate services.
ALTER TABLE agents
  ADD COLUMN slack_notifications_enabled boolean NOT NULL DEFAULT false,
  ADD COLUMN ingest_source_type text
    CONSTRAINT agents_ingest_source_type_check
    CHECK (ingest_source_type IN ('redis_pubsub', 'gcp_pubsub', 'websocket')),
  ADD COLUMN ingest_source_config jsonb NOT NULL DEFAULT '{}'::jsonb;
