-- Migration number: 0004 	 Resumable multipart upload sessions and the sweeper's cursor.
-- All session state lives here, so any worker instance can take any request of a session.

CREATE TABLE upload_sessions (
  image_id      TEXT PRIMARY KEY NOT NULL REFERENCES images (id),
  upload_id     TEXT NOT NULL,
  size          INTEGER NOT NULL,
  part_size     INTEGER NOT NULL,
  part_count    INTEGER NOT NULL,
  checksum      TEXT,
  os_hash_value TEXT,
  -- open: taking parts; verifying: completed, waiting for the background verifier
  state         TEXT NOT NULL CHECK (state IN ('open', 'verifying')),
  created_at    TEXT NOT NULL,
  expires_at    TEXT NOT NULL
);

CREATE INDEX upload_sessions_expires ON upload_sessions (state, expires_at);

CREATE TABLE upload_parts (
  image_id    TEXT NOT NULL,
  part_number INTEGER NOT NULL,
  size        INTEGER NOT NULL,
  etag        TEXT NOT NULL,
  uploaded_at TEXT NOT NULL,
  PRIMARY KEY (image_id, part_number)
) WITHOUT ROWID;

-- Where the sweeper's walk over the R2 bucket stopped, so each run stays bounded.
CREATE TABLE sweeper_state (
  name  TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE INDEX images_saving ON images (status, upload_started_at);
