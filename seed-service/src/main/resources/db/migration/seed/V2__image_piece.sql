-- The cross-image index: the non-zero pieces of every image, named by their SHA-256. Pieces are
-- named by content, so a piece found in two images is one piece (Wu et al.'s per-chunk swarms);
-- the similarity of two images and the piece groups (pieces contained by exactly the same set of
-- images) are queries on this table. Written in the import's transaction, deleted with the image.
create table image_piece (
    image_id    uuid    not null references image (id) on delete cascade,
    piece_index integer not null check (piece_index >= 0),
    hash        bytea   not null check (octet_length(hash) = 32),
    -- the piece's length: the piece size, or less for an image's last piece (same hash, same length)
    length      integer not null check (length > 0),
    primary key (image_id, piece_index)
);
create index image_piece_hash on image_piece (hash);

-- Backfill the images catalogued before this migration from their manifests: the piece hashes are
-- 32 bytes each in piece order; a piece is all-zero when its bit in the BEP 3 bitfield (high bit
-- first) is set.
insert into image_piece (image_id, piece_index, hash, length)
select i.id, p.n, substring(i.sha256_hashes from p.n * 32 + 1 for 32),
       least(i.piece_size::bigint, i.size - p.n::bigint * i.piece_size)::integer
from image i
cross join lateral generate_series(0, i.piece_count - 1) as p(n)
where get_byte(i.zero_bitfield, p.n / 8) & (128 >> (p.n % 8)) = 0;
