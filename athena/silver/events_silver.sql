-- events_silver: every event once. Delivery to the lake is at least once (a retried delivery
-- or a crash between the write and the acknowledgement writes an event twice), so rows are
-- deduplicated by event id, and raw X activity (TWITTER_*) also by X's own id where X
-- redelivered it under a new event. The envelope is typed; detail stays JSON text.
-- Partitioned by dt (the UTC day of the event's time).
SELECT id, "detail-type" AS detail_type, source, account, region, resources, detail,
       from_iso8601_timestamp(time) AS event_time, dt, hour
FROM (
  SELECT e.*,
         row_number() OVER (
           PARTITION BY CASE
             WHEN e.detail_type LIKE 'TWITTER_%'
                  AND coalesce(json_extract_scalar(e.detail, '$.id_str'),
                               json_extract_scalar(e.detail, '$.data.id')) IS NOT NULL
             THEN e.detail_type || ':' || coalesce(json_extract_scalar(e.detail, '$.id_str'),
                                                   json_extract_scalar(e.detail, '$.data.id'))
             ELSE e.id
           END
           ORDER BY e.time, e.id) AS copy
  FROM events e
) deduplicated
WHERE copy = 1
