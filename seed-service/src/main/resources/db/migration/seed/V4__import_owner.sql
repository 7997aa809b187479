-- Seed replicas share this catalog and one storage directory: an import belongs to the replica running it
-- (owner: its seed id), which renews heartbeat_at while the import runs. Only an import whose owner restarted
-- or whose heartbeat lapsed is recovered (failed, its files deleted) by another replica.
alter table image_import add column owner text;
alter table image_import add column heartbeat_at timestamptz;
create index image_import_running_owner on image_import (owner, heartbeat_at) where state = 'RUNNING';
