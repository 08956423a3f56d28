-- Top labels: the image labels found in the most images, with their average confidence.
SELECT labels.name AS label,
       count(*) AS images,
       round(avg(labels.confidence), 1) AS avg_confidence
FROM "analysed-messages-table"
CROSS JOIN UNNEST(detail.analysis.images) AS i(images)
CROSS JOIN UNNEST(images.analysis.labels) AS l(labels)
GROUP BY labels.name
ORDER BY images DESC, label
LIMIT 20
