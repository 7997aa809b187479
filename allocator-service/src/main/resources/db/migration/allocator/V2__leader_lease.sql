-- Leader election among allocator-service replicas (io.bootswarm.allocator.leader.LeaderElection):
-- one row per role ('planner'); whoever holds the unexpired lease plans, every take increments epoch.
create table leader_lease (
    name       text        primary key,
    holder     text        not null,
    epoch      bigint      not null check (epoch > 0),
    expires_at timestamptz not null
);

-- Which instance made each plan, and in which leadership epoch (0: made before election existed, or
-- by an instance running with bootswarm.allocator.leader.enabled=false).
alter table plan add column leader text;
alter table plan add column epoch bigint not null default 0;
