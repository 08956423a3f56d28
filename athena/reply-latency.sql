-- Reply latency per message: seconds from MESSAGE_RECEIVED (the message reached Starling) to TWEET_SENT
-- (its reply was posted), per received tweet that got a reply. Reads two detail_type partitions only.
WITH received AS (
  SELECT json_extract_scalar(detail, '$.Twitter.TweetId') AS tweet_id,
         min(from_iso8601_timestamp(time)) AS received_at
  FROM events
  WHERE detail_type = 'MESSAGE_RECEIVED'
  GROUP BY 1
), sent AS (
  SELECT json_extract_scalar(detail, '$.ReplyToTweetId') AS tweet_id,
         min(json_extract_scalar(detail, '$.TweetId')) AS reply_id,
         min(from_iso8601_timestamp(time)) AS sent_at
  FROM events
  WHERE detail_type = 'TWEET_SENT'
  GROUP BY 1
)
SELECT received.tweet_id,
       sent.reply_id,
       received.received_at,
       sent.sent_at,
       date_diff('millisecond', received.received_at, sent.sent_at) / 1000.0 AS latency_seconds
FROM received
JOIN sent ON sent.tweet_id = received.tweet_id
ORDER BY received.tweet_id
