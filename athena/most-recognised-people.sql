-- Most recognised people: in how many posts each person was recognised (each post once), as a
-- celebrity (Rekognition's RecognizeCelebrities) or as a known person (the known-faces gallery,
-- `starling faces`), and the best match seen: MatchConfidence for celebrities, Similarity for
-- known people. Reads the silver posts table: each post once, with its latest analysis (images is
-- its Rekognition results per image as JSON text, unnested here).
SELECT f.name,
       f.kind,
       count(DISTINCT f.post_id) AS posts,
       max(f.confidence) AS best_confidence
FROM (
    SELECT p.post_id,
           'celebrity' AS kind,
           json_extract_scalar(c.face, '$.Name') AS name,
           CAST(json_extract_scalar(c.face, '$.MatchConfidence') AS double) AS confidence
    FROM posts p
    CROSS JOIN UNNEST(CAST(json_parse(p.images) AS JSON ARRAY)) AS i(image)
    CROSS JOIN UNNEST(CAST(json_extract(i.image, '$.Analysis.CelebrityFaces') AS JSON ARRAY)) AS c(face)
    UNION ALL
    SELECT p.post_id,
           'known' AS kind,
           json_extract_scalar(k.face, '$.Name') AS name,
           CAST(json_extract_scalar(k.face, '$.Similarity') AS double) AS confidence
    FROM posts p
    CROSS JOIN UNNEST(CAST(json_parse(p.images) AS JSON ARRAY)) AS i(image)
    CROSS JOIN UNNEST(CAST(json_extract(i.image, '$.Analysis.KnownFaces') AS JSON ARRAY)) AS k(face)
) f
GROUP BY 1, 2
ORDER BY 3 DESC, 1, 2
