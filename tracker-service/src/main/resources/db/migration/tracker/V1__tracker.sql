-- tracker-service schema (Flyway creates the schema "tracker" and runs this in it).

-- Hosts registered by their node agents. UP/DOWN is derived from last_heartbeat.
create table hosts (
    name           text        primary key,
    api_url        text        not null,
    peer_host      text        not null,
    peer_port      integer     not null check (peer_port between 1 and 65535),
    registered_at  timestamptz not null,
    last_heartbeat timestamptz not null
);

-- Fleet launches. request_fingerprint identifies the request an idempotency key was used for.
create table launches (
    id                  uuid        primary key,
    image_id            uuid        not null,
    image_name          text        not null,
    image_size          bigint      not null,
    idempotency_key     text        unique,
    request_fingerprint text        not null,
    created_at          timestamptz not null,
    stop_requested_at   timestamptz
);
create index launches_recent on launches (created_at desc, id desc);

-- One row per host of a launch, updated from the agents' status reports.
-- sequence is that of the last applied report (-1 before any); only a greater one is applied.
create table launch_hosts (
    launch_id      uuid        not null references launches (id) on delete cascade,
    host           text        not null,
    position       integer     not null,
    state          text        not null check (state in ('PENDING', 'PREPARING', 'READY', 'FAILED', 'STOPPED')),
    sequence       bigint      not null,
    nbd_uri        text,
    nbd_unix_uri   text,
    pieces_present integer     not null default 0,
    pieces_total   integer     not null default 0,
    bytes_fetched  bigint      not null default 0,
    detail         text,
    updated_at     timestamptz not null,
    primary key (launch_id, host)
);

-- Transactional outbox (io.bootswarm.common.outbox): events written with the state change they report.
create table outbox (
    id           bigserial   primary key,
    topic        text        not null,
    message_key  text,
    payload      text        not null,
    created_at   timestamptz not null,
    published_at timestamptz
);
create index outbox_unpublished on outbox (id) where published_at is null;
