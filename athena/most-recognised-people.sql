-- Most recognised people: in how many posts each celebrity was recognised (each post once), and
-- the best match confidence seen for them. Reads the silver posts table: each post once, with its
-- latest analysis (images is its Rekognition results per image as JSON text, unnested here).
SELECT json_extract_scalar(c.face, '$.Name') AS name,
       count(DISTINCT p.post_id) AS posts,
       max(CAST(json_extract_scalar(c.face, '$.MatchConfidence') AS double)) AS best_match_confidence
FROM posts p
CROSS JOIN UNNEST(CAST(json_parse(p.images) AS JSON ARRAY)) AS i(image)
CROSS JOIN UNNEST(CAST(json_extract(i.image, '$.Analysis.CelebrityFaces') AS JSON ARRAY)) AS c(face)
GROUP BY 1
ORDER BY 2 DESC, 1
