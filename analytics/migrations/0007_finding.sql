-- What the rule measured for a violation (dwell against the zone's limit, speed against the limit,
-- the lane), shown to the officer beside the evidence. Rows written before it have none.
ALTER TABLE violations ADD COLUMN finding VARCHAR DEFAULT '';
