-- The seed replicas sharing this catalog, each renewing its row while it runs: how many are live is what each
-- divides allocator-service's plan by (its share of the seeds' total upload).
create table seed_replica (
    id           text        primary key,
    heartbeat_at timestamptz not null
);
