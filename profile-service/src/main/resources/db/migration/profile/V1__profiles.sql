-- profile-service's registry. Flyway runs this in schema "profile" (spring.flyway.schemas).

-- One access profile per (image, workload) (VMTorrent §2.2.3).
create table profile (
    id          uuid        primary key,
    image_id    uuid        not null,
    workload    text        not null,
    piece_size  integer     not null check (piece_size > 0),
    runs        integer     not null check (runs >= 0),
    pieces      integer     not null check (pieces >= 0),
    created_at  timestamptz not null,
    updated_at  timestamptz not null,
    constraint profile_image_workload_key unique (image_id, workload),
    constraint profile_workload_format check (workload ~ '^[a-z0-9][a-z0-9._-]{0,63}$')
);

-- Per piece read in at least one run: the sum of its first-access times and the number of runs it
-- was read in, so that the mean and the share are exact over all runs so far.
create table profile_piece (
    profile_id              uuid    not null references profile (id) on delete cascade,
    piece                   integer not null check (piece >= 0),
    first_access_sum_micros bigint  not null check (first_access_sum_micros >= 0),
    runs                    integer not null check (runs > 0),
    primary key (profile_id, piece)
);

-- The runs a profile is made of; the id is the trace's id, so a trace is applied at most once.
create table profile_run (
    trace_id        uuid        primary key,
    profile_id      uuid        not null references profile (id) on delete cascade,
    source          text        not null check (source in ('KAFKA', 'UPLOAD')),
    launch_id       uuid,
    host            text,
    read_count      integer     not null check (read_count > 0),
    pieces_touched  integer     not null check (pieces_touched > 0),
    duration_micros bigint      not null check (duration_micros >= 0),
    received_at     timestamptz not null
);
create index profile_run_profile on profile_run (profile_id, received_at desc, trace_id);

-- Chunks of access traces from Kafka waiting for the rest of their trace. reads: big-endian 64-bit
-- triples (time in microseconds, offset, length).
create table trace_chunk (
    trace_id    uuid        not null,
    chunk       integer     not null check (chunk >= 0),
    last        boolean     not null,
    launch_id   uuid,
    host        text,
    image_id    uuid        not null,
    workload    text        not null,
    piece_size  integer     not null check (piece_size > 0),
    read_count  integer     not null check (read_count >= 0),
    reads       bytea       not null check (octet_length(reads) = 24 * read_count),
    received_at timestamptz not null,
    primary key (trace_id, chunk)
);
create index trace_chunk_received on trace_chunk (received_at);
