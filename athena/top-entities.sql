-- Top entities: the named entities (people, places, organisations, …) mentioned in the most messages.
-- Reads the silver posts table: each post once, with its latest analysis (entities is its
-- Comprehend TextEntities as JSON text, unnested here).
SELECT json_extract_scalar(e.entity, '$.Type') AS type,
       json_extract_scalar(e.entity, '$.Text') AS entity,
       count(DISTINCT p.post_id) AS messages,
       round(avg(CAST(json_extract_scalar(e.entity, '$.Score') AS double)), 3) AS avg_score
FROM posts p
CROSS JOIN UNNEST(CAST(json_parse(p.entities) AS JSON ARRAY)) AS e(entity)
GROUP BY 1, 2
ORDER BY 3 DESC, 1, 2
LIMIT 20
