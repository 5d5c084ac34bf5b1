-- Migration number: 0008 	 Upload sessions hash their parts in order as they arrive.
-- MD5 and SHA-512 run over the parts in order; the running state after each part is kept with
-- it, so the request that stores part n continues from part n-1's state and completion has
-- little or nothing left to hash.

-- The digests' saved state after parts 1..n (base64), when part n was hashed in that order;
-- NULL when it was not (it arrived before its predecessor was hashed, or a part before it was
-- sent again). hash_token changes with every write of the part: a successor's state counts
-- only if the part it continued from is still the one it read.
ALTER TABLE upload_parts ADD COLUMN hash_state TEXT;
ALTER TABLE upload_parts ADD COLUMN hash_token TEXT;

-- After completion: how many bytes of the assembled object hash_state covers; the verifier
-- hashes the rest in bounded steps, advancing both under a guard on hashed_bytes.
ALTER TABLE upload_sessions ADD COLUMN hashed_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE upload_sessions ADD COLUMN hash_state TEXT;

-- Parts being received right now: a part that arrives before its predecessor is hashed waits
-- for it only while the predecessor is on its way.
CREATE TABLE upload_part_arrivals (
  image_id    TEXT NOT NULL,
  part_number INTEGER NOT NULL,
  token       TEXT NOT NULL,
  started_at  TEXT NOT NULL,
  PRIMARY KEY (image_id, part_number)
) WITHOUT ROWID;
