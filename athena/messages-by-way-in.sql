-- Per day, how many posts came in each way (webhook, stream, mentions poll): which ways in the bot
-- actually depends on, e.g. before retiring one. A post that came several ways counts once, under
-- the way it came first. Reads the MESSAGE_RECEIVED partitions only.
SELECT dt AS day,
       coalesce(json_extract_scalar(detail, '$.Source'), 'webhook') AS way_in,
       count(DISTINCT json_extract_scalar(detail, '$.Twitter.TweetId')) AS posts
FROM events
WHERE detail_type = 'MESSAGE_RECEIVED'
GROUP BY 1, 2
ORDER BY 1, 2
