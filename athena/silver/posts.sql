-- posts: one row per post the bot received (MESSAGE_RECEIVED, deduplicated by post id, the
-- first arrival kept), with its latest analysis (MESSAGE_ANALYSED: the last one wins), whether
-- and when the bot replied (the first TWEET_SENT for it) or why it did not (the latest
-- REPLY_SUPPRESSED), and whether moderation flagged it. Partitioned by dt (the UTC day it arrived).
WITH received AS (
  SELECT json_extract_scalar(detail, '$.Twitter.TweetId') AS post_id,
         json_extract_scalar(detail, '$.Twitter.UserId') AS author_id,
         json_extract_scalar(detail, '$.Author') AS author,
         json_extract_scalar(detail, '$.Text') AS text,
         coalesce(json_extract_scalar(detail, '$.Source'), 'webhook') AS way_in,
         json_extract_scalar(detail, '$.Summoned') = 'true' AS summoned,
         from_iso8601_timestamp(time) AS received_at, dt,
         row_number() OVER (PARTITION BY json_extract_scalar(detail, '$.Twitter.TweetId')
                            ORDER BY time, id) AS copy
  FROM events WHERE detail_type = 'MESSAGE_RECEIVED'
),
analysed AS (
  SELECT json_extract_scalar(detail, '$.Twitter.TweetId') AS post_id,
         json_extract_scalar(detail, '$.Analysis.Language') AS language,
         json_extract_scalar(detail, '$.Analysis.TextSentiment') AS sentiment,
         CAST(json_extract_scalar(detail, '$.Analysis.SentimentScore.Positive') AS DOUBLE) AS positive,
         CAST(json_extract_scalar(detail, '$.Analysis.SentimentScore.Negative') AS DOUBLE) AS negative,
         CAST(json_extract_scalar(detail, '$.Analysis.SentimentScore.Neutral') AS DOUBLE) AS neutral,
         CAST(json_extract_scalar(detail, '$.Analysis.SentimentScore.Mixed') AS DOUBLE) AS mixed,
         json_format(json_extract(detail, '$.Analysis.TextEntities')) AS entities,
         json_format(json_extract(detail, '$.Analysis.KeyPhrases')) AS key_phrases,
         json_format(json_extract(detail, '$.Analysis.Images')) AS images,
         json_extract_scalar(detail, '$.Analysis.Provider') AS provider,
         from_iso8601_timestamp(time) AS analysed_at,
         row_number() OVER (PARTITION BY json_extract_scalar(detail, '$.Twitter.TweetId')
                            ORDER BY time DESC, id DESC) AS latest
  FROM events WHERE detail_type = 'MESSAGE_ANALYSED'
),
replied AS (
  SELECT json_extract_scalar(detail, '$.ReplyToTweetId') AS post_id,
         min(from_iso8601_timestamp(time)) AS replied_at,
         min(json_extract_scalar(detail, '$.TweetId')) AS reply_id
  FROM events WHERE detail_type = 'TWEET_SENT'
  GROUP BY 1
),
held AS (
  SELECT json_extract_scalar(detail, '$.TweetId') AS post_id,
         json_extract_scalar(detail, '$.Reason') AS reason,
         row_number() OVER (PARTITION BY json_extract_scalar(detail, '$.TweetId')
                            ORDER BY time DESC, id DESC) AS latest
  FROM events WHERE detail_type = 'REPLY_SUPPRESSED'
),
flagged AS (
  SELECT DISTINCT json_extract_scalar(detail, '$.TweetId') AS post_id
  FROM events WHERE detail_type = 'MODERATION_FLAGGED'
)
SELECT r.post_id, r.author_id, r.author, r.received_at, r.text, r.way_in, r.summoned,
       a.language, a.sentiment, a.positive, a.negative, a.neutral, a.mixed,
       a.entities, a.key_phrases, a.images, a.provider, a.analysed_at,
       f.post_id IS NOT NULL AS moderation_flagged,
       p.reply_id, p.replied_at,
       CASE WHEN p.reply_id IS NULL THEN h.reason END AS not_replied_because,
       date_diff('millisecond', r.received_at, p.replied_at) / 1e3 AS reply_latency_seconds,
       r.dt
FROM received r
LEFT JOIN analysed a ON a.post_id = r.post_id AND a.latest = 1
LEFT JOIN replied p ON p.post_id = r.post_id
LEFT JOIN held h ON h.post_id = r.post_id AND h.latest = 1
LEFT JOIN flagged f ON f.post_id = r.post_id
WHERE r.copy = 1
