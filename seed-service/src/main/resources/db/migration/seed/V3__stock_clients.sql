-- Whether an admin opened the image to stock BitTorrent clients: the seed then serves its swarm to
-- peers without a peer access token (the tracker still hands them out only against a passkey).
alter table image add column stock_clients_open boolean not null default false;
