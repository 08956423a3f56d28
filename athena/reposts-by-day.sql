-- Per day, what the repost rule did with keyword-search matches while it was on: the posts it
-- reposted and the ones it held back, by reason (not-curated, daily-cap, budget, opted-out,
-- dry-run, refused, ...). Reads two detail_type partitions only.
SELECT dt AS day,
       CASE detail_type
         WHEN 'REPOSTED' THEN 'reposted'
         ELSE json_extract_scalar(detail, '$.Reason')
       END AS outcome,
       count(DISTINCT json_extract_scalar(detail, '$.TweetId')) AS posts
FROM events
WHERE detail_type IN ('REPOSTED', 'REPOST_SUPPRESSED')
GROUP BY 1, 2
ORDER BY 1, 3 DESC, 2
