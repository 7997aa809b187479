-- Passkeys of stock BitTorrent clients (private-tracker style: /announce/<passkey>), one per
-- caller identity. Only the SHA-256 of a passkey is kept: the tracker cannot show it again.
create table passkeys (
    owner        text        primary key,
    passkey_hash bytea       not null unique check (octet_length(passkey_hash) = 32),
    created_at   timestamptz not null
);
