-- Migration number: 0003 	 Per-tenant storage quota.
-- Bytes an upload in progress holds against its owner's quota: reserved in the same guarded
-- statement that starts the upload (so concurrent uploads cannot both squeeze under the limit),
-- set back to 0 when the upload ends (active images count their size instead).
ALTER TABLE images ADD COLUMN reserved_bytes INTEGER NOT NULL DEFAULT 0;

CREATE INDEX images_owner_status ON images (owner, status);
