-- Reply rate by day: of the posts that arrived each UTC day, the share the bot replied to and, for
-- the others, why not — the reply policy's reason (not-summoned, opted-out, cooldown, budget,
-- moderation, dry-run, ...), or "no decision" when neither a reply nor a refusal was recorded
-- (its analysis failed, or it is still on its way). Reads the silver posts table: each post once,
-- with its first reply or else its latest refusal.
SELECT dt AS day,
       CASE
         WHEN reply_id IS NOT NULL THEN 'replied'
         ELSE coalesce(not_replied_because, 'no decision')
       END AS outcome,
       count(*) AS posts,
       round(100.0 * count(*) / sum(count(*)) OVER (PARTITION BY dt), 1) AS percent_of_day
FROM posts
GROUP BY 1, 2
ORDER BY 1, 3 DESC, 2
