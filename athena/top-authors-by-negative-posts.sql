-- Top authors by negative posts: who posted the most messages analysed as NEGATIVE (each post
-- counted once however often it was analysed), with their average negative score; the top 20.
SELECT detail.author AS author,
       count(DISTINCT detail.twitter.tweetid) AS negative_posts,
       round(avg(detail.analysis.sentimentscore.negative), 3) AS avg_negative_score
FROM "analysed-messages-table"
WHERE detail.analysis.textsentiment = 'NEGATIVE'
GROUP BY detail.author
ORDER BY negative_posts DESC, author
LIMIT 20
