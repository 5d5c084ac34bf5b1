-- Migration number: 0007 	 Glance v2's interoperable import: the uploading and importing statuses.
-- SQLite cannot change a CHECK constraint in place, so the images table is rebuilt: its rows are
-- copied aside, the table is dropped and made again with the wider status list, the rows go back
-- and every index is made again. image_properties, image_members, image_tags and upload_sessions
-- reference images (id): with the checks of those foreign keys deferred to the end of the
-- migration, dropping the table orphans their rows only until the same ids are inserted again.
-- (Renaming a new table into place instead would leave them counted as orphans, and renaming the
-- old one away would make them reference it.)
PRAGMA defer_foreign_keys = on;

CREATE TABLE images_copy AS SELECT * FROM images;
DROP TABLE images;

CREATE TABLE images (
  id               TEXT PRIMARY KEY NOT NULL,
  name             TEXT,
  status           TEXT NOT NULL CHECK (status IN
                     ('queued', 'saving', 'active', 'killed', 'deleted', 'pending_delete', 'deactivated',
                      'uploading', 'importing')),
  size             INTEGER,
  virtual_size     INTEGER,
  checksum         TEXT,
  os_hash_algo     TEXT,
  os_hash_value    TEXT,
  disk_format      TEXT,
  container_format TEXT,
  min_disk         INTEGER NOT NULL DEFAULT 0,
  min_ram          INTEGER NOT NULL DEFAULT 0,
  is_public        INTEGER NOT NULL DEFAULT 0,
  owner            TEXT,
  protected        INTEGER NOT NULL DEFAULT 0,
  object_key       TEXT NOT NULL UNIQUE,
  status_reason    TEXT,
  upload_started_at TEXT,
  revision         TEXT NOT NULL,
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL,
  deleted_at       TEXT,
  deleted          INTEGER NOT NULL DEFAULT 0,
  reserved_bytes   INTEGER NOT NULL DEFAULT 0,
  detected_format  TEXT,
  visibility       TEXT NOT NULL DEFAULT 'shared'
    CHECK (visibility IN ('public', 'private', 'shared', 'community')),
  os_hidden        INTEGER NOT NULL DEFAULT 0,
  -- The id of the image's latest import (GET /v2/images/{id}/tasks shows it as a task).
  import_task_id   TEXT
);

INSERT INTO images (id, name, status, size, virtual_size, checksum, os_hash_algo, os_hash_value,
  disk_format, container_format, min_disk, min_ram, is_public, owner, protected, object_key,
  status_reason, upload_started_at, revision, created_at, updated_at, deleted_at, deleted,
  reserved_bytes, detected_format, visibility, os_hidden)
SELECT id, name, status, size, virtual_size, checksum, os_hash_algo, os_hash_value,
  disk_format, container_format, min_disk, min_ram, is_public, owner, protected, object_key,
  status_reason, upload_started_at, revision, created_at, updated_at, deleted_at, deleted,
  reserved_bytes, detected_format, visibility, os_hidden
FROM images_copy;

DROP TABLE images_copy;

-- Every index the earlier migrations made on images (0001, 0002, 0003, 0004, 0006).
CREATE INDEX images_owner_created ON images (owner, created_at, id);
CREATE INDEX images_public_created ON images (is_public, created_at, id);
CREATE INDEX images_updated ON images (updated_at);
CREATE INDEX images_status ON images (status);
CREATE INDEX images_name ON images (name);
CREATE INDEX images_created_id ON images (created_at, id);
CREATE INDEX images_name_sort ON images (IFNULL(name, ''), created_at, id);
CREATE INDEX images_owner_status ON images (owner, status);
CREATE INDEX images_saving ON images (status, upload_started_at);
CREATE INDEX images_visibility_created ON images (visibility, created_at, id);
