-- Migration number: 0009 	 A part that failed on its way in is expected again.
-- When a part's request fails (its connection dropped, the store failed half-way), its mark
-- stays with the time of the failure: a client sends such a part again within seconds, and
-- its successor waits for that instead of leaving the chain of hashed parts for good.
ALTER TABLE upload_part_arrivals ADD COLUMN failed_at TEXT;
