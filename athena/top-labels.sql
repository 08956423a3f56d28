-- Top labels: the image labels found in the most images, with their average confidence. Reads the
-- silver posts table: each post once, with its latest analysis (images is its Rekognition results
-- per image as JSON text, unnested here).
SELECT json_extract_scalar(l.label, '$.Name') AS label,
       count(*) AS images,
       round(avg(CAST(json_extract_scalar(l.label, '$.Confidence') AS double)), 1) AS avg_confidence
FROM posts p
CROSS JOIN UNNEST(CAST(json_parse(p.images) AS JSON ARRAY)) AS i(image)
CROSS JOIN UNNEST(CAST(json_extract(i.image, '$.Analysis.Labels') AS JSON ARRAY)) AS l(label)
GROUP BY 1
ORDER BY 2 DESC, 1
LIMIT 20
