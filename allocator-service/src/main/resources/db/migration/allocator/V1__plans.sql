-- allocator-service's plan history. Flyway runs this in schema "allocator" (spring.flyway.schemas).

-- One plan per period (Wu et al. §IV): the split of the seed's upload u_s over the swarms, with the
-- solver's figures and, in swarms, the per-swarm inputs and rates as JSON (PlanRecord.Line).
create table plan (
    id                    uuid             primary key,
    created_at            timestamptz      not null,
    strategy              text             not null check (strategy in ('ISO', 'CROSS_EQU', 'CROSS_PROP', 'CROSS_OPT', 'EXACT')),
    level                 text             not null check (level in ('GROUP', 'IMAGE')),
    seed_upload           bigint           not null check (seed_upload > 0),
    valid_until           timestamptz      not null,
    -- M = max_i T_r^i; 'Infinity' when a swarm gets no upload at all
    max_remaining_seconds double precision not null,
    lower_bound           double precision not null,
    gap                   double precision not null,
    iterations            integer          not null check (iterations >= 0),
    residual              double precision not null,
    solve_nanos           bigint           not null check (solve_nanos >= 0),
    hosts                 integer          not null check (hosts >= 0),
    swarm_count           integer          not null check (swarm_count >= 0),
    remaining_bytes       double precision not null,
    peer_upload           double precision not null,
    swarms                text             not null
);
create index plan_created on plan (created_at desc, id);

-- Settings changed through the API and kept across restarts (the strategy).
create table setting (
    name       text        primary key,
    value      text        not null,
    updated_at timestamptz not null
);

-- The transactional outbox of io.bootswarm.common.outbox: the plans' events.
create table outbox (
    id           bigserial   primary key,
    topic        text        not null,
    message_key  text,
    payload      text        not null,
    created_at   timestamptz not null default now(),
    published_at timestamptz
);
create index outbox_unpublished on outbox (id) where published_at is null;
