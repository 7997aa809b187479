-- The table of the transactional outbox (io.bootswarm.common.outbox: Outbox writes it, OutboxRelay sends and
-- prunes it), the one definition for every service that uses it: each adds classpath:db/outbox to its
-- spring.flyway.locations, and Flyway creates the table in that service's schema.
--
-- A repeatable migration, so that a fresh database and one made before this file existed end the same:
-- Flyway runs it after the service's versioned migrations, and again whenever this file changes. The
-- services' V1 migrations created the table before (they are applied in existing databases and must stay
-- as they are, Flyway checksums them), and tracker's left created_at without a default; so every statement
-- here is idempotent and states the final shape rather than a step towards it. To change the table, edit
-- this file with statements that hold on both (ALTER ... ADD COLUMN IF NOT EXISTS, SET DEFAULT, ...).
-- OutboxMigrationIT (fleet, where every service is on the class path) checks that both paths give the same columns, defaults and indexes.
create table if not exists outbox (
    id           bigserial   primary key,
    topic        text        not null,
    message_key  text,
    payload      text        not null,
    created_at   timestamptz not null default now(),
    published_at timestamptz
);

alter table outbox alter column created_at set default now();

create index if not exists outbox_unpublished on outbox (id) where published_at is null;
