-- All image labels: every label found in every image of every message, with its confidence.
SELECT detail.twitter.tweetid AS tweet_id,
       detail.author AS author,
       images.key AS image,
       labels.name AS label,
       labels.confidence AS confidence
FROM "analysed-messages-table"
CROSS JOIN UNNEST(detail.analysis.images) AS i(images)
CROSS JOIN UNNEST(images.analysis.labels) AS l(labels)
ORDER BY tweet_id, image, confidence DESC, label
