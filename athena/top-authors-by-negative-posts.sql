-- Top authors by negative posts: who posted the most messages analysed as NEGATIVE, with their
-- average negative score; the top 20. Reads the silver posts table: each post counted once however
-- often it was received or analysed, by its latest analysis.
SELECT author,
       count(*) AS negative_posts,
       round(avg(negative), 3) AS avg_negative_score
FROM posts
WHERE sentiment = 'NEGATIVE'
GROUP BY author
ORDER BY negative_posts DESC, author
LIMIT 20
