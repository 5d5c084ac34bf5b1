-- Migration number: 0001 	 Glance v1 image registry schema.
-- Image rows are never deleted: a deleted image stays as a tombstone so its id is never reused
-- (OSSN-0075). Timestamps are Glance's UTC text format, which sorts chronologically.

CREATE TABLE images (
  id               TEXT PRIMARY KEY NOT NULL,
  name             TEXT,
  status           TEXT NOT NULL CHECK (status IN
                     ('queued', 'saving', 'active', 'killed', 'deleted', 'pending_delete', 'deactivated')),
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
  -- set when bytes start arriving; the sweeper kills uploads that stop making progress
  upload_started_at TEXT,
  -- a fresh random token on every change: updates are compare-and-swap on it
  revision         TEXT NOT NULL,
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL,
  deleted_at       TEXT,
  deleted          INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX images_owner_created ON images (owner, created_at, id);
CREATE INDEX images_public_created ON images (is_public, created_at, id);
CREATE INDEX images_updated ON images (updated_at);
CREATE INDEX images_status ON images (status);
CREATE INDEX images_name ON images (name);

-- Custom properties as rows: key → value (contract §3.1 `properties`).
CREATE TABLE image_properties (
  image_id TEXT NOT NULL REFERENCES images (id),
  name     TEXT NOT NULL,
  value    TEXT NOT NULL,
  PRIMARY KEY (image_id, name)
) WITHOUT ROWID;

CREATE INDEX image_properties_lookup ON image_properties (name, value);

-- Sharing: a member tenant may see (and with can_share, re-share) an image (contract §5.7).
-- Removed memberships stay with deleted = 1 so they can be revived; rowid keeps insertion order.
CREATE TABLE image_members (
  image_id   TEXT NOT NULL REFERENCES images (id),
  member     TEXT NOT NULL,
  can_share  INTEGER NOT NULL DEFAULT 0,
  status     TEXT NOT NULL DEFAULT 'pending',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  deleted_at TEXT,
  deleted    INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (image_id, member)
);

CREATE INDEX image_members_member ON image_members (member, deleted);
