-- Per day, how many messages got a reply and how many replies the reply policy held back, by
-- reason (not-summoned, opted-out, cooldown, conversation-cap, budget, denied, moderation,
-- dry-run, ...): what the bot did with the messages it saw. Reads two detail_type partitions only.
SELECT dt AS day,
       CASE detail_type
         WHEN 'TWEET_SENT' THEN 'replied'
         ELSE json_extract_scalar(detail, '$.Reason')
       END AS outcome,
       count(DISTINCT coalesce(json_extract_scalar(detail, '$.ReplyToTweetId'),
                               json_extract_scalar(detail, '$.TweetId'))) AS messages
FROM events
WHERE detail_type IN ('TWEET_SENT', 'REPLY_SUPPRESSED')
GROUP BY 1, 2
ORDER BY 1, 3 DESC, 2
