-- Migration number: 0006 	 Image API v2 fields over the same images (glance-v2-contract §3, §10).
-- visibility is the stored truth; is_public stays, kept equal to (visibility = 'public') by the
-- repository, so the v1 queries and indexes keep working. Existing images were v1 images:
-- public or shared, as Glance 16 migrated them.
ALTER TABLE images ADD COLUMN visibility TEXT NOT NULL DEFAULT 'shared'
  CHECK (visibility IN ('public', 'private', 'shared', 'community'));
UPDATE images SET visibility = CASE WHEN is_public = 1 THEN 'public' ELSE 'shared' END;
-- Hidden images are left out of v2 lists unless asked for (os_hidden=true).
ALTER TABLE images ADD COLUMN os_hidden INTEGER NOT NULL DEFAULT 0;

CREATE INDEX images_visibility_created ON images (visibility, created_at, id);

-- v2 tags: a set of strings per image (≤ 255 characters each).
CREATE TABLE image_tags (
  image_id TEXT NOT NULL REFERENCES images (id),
  value    TEXT NOT NULL,
  PRIMARY KEY (image_id, value)
) WITHOUT ROWID;

CREATE INDEX image_tags_value ON image_tags (value, image_id);
