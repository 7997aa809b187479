-- Preheats: an image's pieces fetched into hosts' caches through the swarm ahead of any launch.
create table preheats (
    id                  uuid        primary key,
    image_id            uuid        not null,
    image_name          text        not null,
    workload            text        not null,
    scope               text        not null check (scope in ('PROFILE', 'ALL')),
    created_at          timestamptz not null,
    cancel_requested_at timestamptz
);
create index preheats_recent on preheats (created_at desc, id desc);

-- One row per host of a preheat, updated from the agents' reports; only a greater sequence is applied.
create table preheat_hosts (
    preheat_id    uuid        not null references preheats (id) on delete cascade,
    host          text        not null,
    position      integer     not null,
    state         text        not null check (state in ('PENDING', 'RUNNING', 'DONE', 'CANCELLED', 'FAILED')),
    sequence      bigint      not null,
    pieces_done   integer     not null default 0,
    pieces_total  integer     not null default 0,
    bytes_fetched bigint      not null default 0,
    detail        text,
    updated_at    timestamptz not null,
    primary key (preheat_id, host)
);
