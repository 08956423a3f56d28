-- users: one row per author the bot heard from (from MESSAGE_RECEIVED, each post once): when
-- first and last seen, how many posts, and their latest handle (handles change; ids do not).
SELECT author_id,
       max_by(author, received_at) AS latest_handle,
       min(received_at) AS first_seen,
       max(received_at) AS last_seen,
       count(*) AS posts
FROM (
  SELECT json_extract_scalar(detail, '$.Twitter.UserId') AS author_id,
         json_extract_scalar(detail, '$.Author') AS author,
         from_iso8601_timestamp(time) AS received_at,
         row_number() OVER (PARTITION BY json_extract_scalar(detail, '$.Twitter.TweetId')
                            ORDER BY time, id) AS copy
  FROM events WHERE detail_type = 'MESSAGE_RECEIVED'
) received
WHERE copy = 1
GROUP BY author_id
