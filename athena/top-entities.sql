-- Top entities: the named entities (people, places, organisations, …) mentioned in the most messages.
SELECT entities.type AS type,
       entities.text AS entity,
       count(DISTINCT detail.twitter.tweetid) AS messages,
       round(avg(entities.score), 3) AS avg_score
FROM "analysed-messages-table"
CROSS JOIN UNNEST(detail.analysis.textentities) AS e(entities)
GROUP BY 1, 2
ORDER BY messages DESC, type, entity
LIMIT 20
