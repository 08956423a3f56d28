-- Reply latency per message: seconds from MESSAGE_RECEIVED (the message reached Starling) to TWEET_SENT
-- (its reply was posted), per received tweet that got a reply. Reads the silver posts table: each
-- post once, from its first arrival to its first reply.
SELECT post_id AS tweet_id,
       reply_id,
       received_at,
       replied_at AS sent_at,
       reply_latency_seconds AS latency_seconds
FROM posts
WHERE reply_id IS NOT NULL
ORDER BY tweet_id
