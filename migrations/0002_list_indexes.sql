-- Migration number: 0002 	 Indexes for image lists (contract §5.1).
-- The first page of the default order (created_at desc, the library's) and of glanceclient's CLI
-- order (name asc) walks an index and stops at the limit instead of sorting every row. The name
-- index is on the same expression the list orders by, or SQLite would not use it. Other sort keys
-- scan and sort.

CREATE INDEX images_created_id ON images (created_at, id);
CREATE INDEX images_name_sort ON images (IFNULL(name, ''), created_at, id);
