-- Images with detected text: each line of text read in an image (DetectText LINE detections), with the
-- message and image it came from.
SELECT detail.twitter.tweetid AS tweet_id,
       images.key AS image,
       detections.detectedtext AS detected_text,
       round(detections.confidence, 1) AS confidence
FROM "analysed-messages-table"
CROSS JOIN UNNEST(detail.analysis.images) AS i(images)
CROSS JOIN UNNEST(images.analysis.textdetections) AS d(detections)
WHERE detections.type = 'LINE'
ORDER BY tweet_id, image, detections.id
