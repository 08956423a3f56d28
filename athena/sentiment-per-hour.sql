-- Sentiment trend per hour: for each UTC hour, how many posts arrived and how many of them were
-- analysed as POSITIVE, NEGATIVE, NEUTRAL and MIXED (the rest: not analysed, or a language without
-- a sentiment model), with the average positive and negative scores. Reads the silver posts table:
-- each post once, with its latest analysis; dt is the day it arrived (add WHERE dt >= '…').
SELECT dt,
       lpad(CAST(hour(received_at) AS varchar), 2, '0') AS hour,
       count(*) AS posts,
       count_if(sentiment = 'POSITIVE') AS positive_posts,
       count_if(sentiment = 'NEGATIVE') AS negative_posts,
       count_if(sentiment = 'NEUTRAL') AS neutral_posts,
       count_if(sentiment = 'MIXED') AS mixed_posts,
       round(avg(positive), 3) AS avg_positive_score,
       round(avg(negative), 3) AS avg_negative_score
FROM posts
GROUP BY 1, 2
ORDER BY 1, 2
