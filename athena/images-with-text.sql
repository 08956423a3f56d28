-- Images with detected text: each line of text read in an image (DetectText LINE detections), with the
-- message and image it came from. Reads the silver posts table: each post once, with its latest
-- analysis (images is its Rekognition results per image as JSON text, unnested here).
SELECT p.post_id AS tweet_id,
       json_extract_scalar(i.image, '$.Key') AS image,
       json_extract_scalar(d.detection, '$.DetectedText') AS detected_text,
       round(CAST(json_extract_scalar(d.detection, '$.Confidence') AS double), 1) AS confidence
FROM posts p
CROSS JOIN UNNEST(CAST(json_parse(p.images) AS JSON ARRAY)) AS i(image)
CROSS JOIN UNNEST(CAST(json_extract(i.image, '$.Analysis.TextDetections') AS JSON ARRAY)) AS d(detection)
WHERE json_extract_scalar(d.detection, '$.Type') = 'LINE'
ORDER BY 1, 2, CAST(json_extract_scalar(d.detection, '$.Id') AS bigint)
