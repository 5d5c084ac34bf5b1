-- Migration number: 0005 	 What content inspection found in an image's bytes.
-- Kept so that a later change of disk_format or container_format must pass the same format
-- rule the upload passed (an image uploaded as qcow2 cannot be relabelled raw).
ALTER TABLE images ADD COLUMN detected_format TEXT;
