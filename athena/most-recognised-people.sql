-- Most recognised people: in how many posts each celebrity was recognised (each post once), and
-- the best match confidence seen for them.
SELECT celebrityfaces.name AS name,
       count(DISTINCT detail.twitter.tweetid) AS posts,
       max(celebrityfaces.matchconfidence) AS best_match_confidence
FROM "analysed-messages-table"
CROSS JOIN UNNEST(detail.analysis.images) AS t(images)
CROSS JOIN UNNEST(images.analysis.celebrityfaces) AS t(celebrityfaces)
GROUP BY celebrityfaces.name
ORDER BY posts DESC, name
