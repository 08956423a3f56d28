-- Negative messages per hour: how many messages were analysed as NEGATIVE in each UTC hour
-- (the hour they arrived), with their average negative score. Reads the silver posts table: each
-- post once, with its latest analysis; dt is the day it arrived (add WHERE dt >= '…' to scan only
-- recent days).
SELECT dt,
       lpad(CAST(hour(received_at) AS varchar), 2, '0') AS hour,
       count(*) AS negative_messages,
       round(avg(negative), 3) AS avg_negative_score
FROM posts
WHERE sentiment = 'NEGATIVE'
GROUP BY 1, 2
ORDER BY 1, 2
