-- Per day, how many posts came in each way (webhook, stream, mentions poll, search): which ways in
-- the bot actually depends on, e.g. before retiring one. A post that came several ways counts once,
-- under the way it came first. Reads the silver posts table: each post once, on the day it first
-- arrived.
SELECT dt AS day,
       way_in,
       count(*) AS posts
FROM posts
GROUP BY 1, 2
ORDER BY 1, 2
