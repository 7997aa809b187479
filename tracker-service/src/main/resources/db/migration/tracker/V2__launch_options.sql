-- How each launch streams its image (the agents' piece selection), resolved to defaults at creation.
alter table launches
    add column workload        text    not null default 'default',
    add column policy          text    not null default 'PROFILE' check (policy in ('DEMAND', 'PROFILE')),
    add column prefetch_window integer not null default 32 check (prefetch_window >= 1),
    add column background_fill boolean not null default false;
