-- seed-service's catalog. Flyway runs this in schema "seed" (spring.flyway.schemas).

-- One row per catalogued image; the file is <storage>/<file_path>.
create table image (
    id               uuid        primary key,
    name             text        not null,
    size             bigint      not null check (size > 0),
    piece_size       integer     not null check (piece_size > 0),
    piece_count      integer     not null check (piece_count > 0),
    zero_piece_count integer     not null check (zero_piece_count between 0 and piece_count),
    non_zero_bytes   bigint      not null check (non_zero_bytes between 0 and size),
    swarm_id         bytea       not null check (octet_length(swarm_id) = 20),
    sha256_hashes    bytea       not null check (octet_length(sha256_hashes) = 32 * piece_count),
    zero_bitfield    bytea       not null check (octet_length(zero_bitfield) = (piece_count + 7) / 8),
    sha1_hashes      bytea       not null check (octet_length(sha1_hashes) = 20 * piece_count),
    created_at       timestamptz not null,
    file_path        text        not null,
    constraint image_name_key unique (name),
    constraint image_swarm_id_key unique (swarm_id),
    constraint image_name_format check (name ~ '^[a-z0-9][a-z0-9._-]{0,127}$')
);

-- Imports (uploads and path imports), kept after they finish so their outcome can be looked up.
create table image_import (
    id          uuid        primary key,
    kind        text        not null check (kind in ('UPLOAD', 'PATH')),
    name        text        not null,
    source      text,
    state       text        not null check (state in ('RUNNING', 'DONE', 'FAILED')),
    bytes_done  bigint      not null default 0,
    bytes_total bigint,
    image_id    uuid,
    error       text,
    started_at  timestamptz not null,
    finished_at timestamptz
);
create index image_import_started on image_import (started_at desc);
create index image_import_running on image_import (state) where state = 'RUNNING';

-- The transactional outbox of io.bootswarm.common.outbox.
create table outbox (
    id           bigserial   primary key,
    topic        text        not null,
    message_key  text,
    payload      text        not null,
    created_at   timestamptz not null default now(),
    published_at timestamptz
);
create index outbox_unpublished on outbox (id) where published_at is null;
