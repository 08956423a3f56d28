-- All celebrities: every celebrity recognised in a message's images, who posted it and when, with the
-- face's emotions. The original system's query, unchanged.
SELECT "detail-type", source, time, detail.author, detail.text, celebrityfaces.name, celebrityfaces.face.emotions
FROM "analysed-messages-table"
CROSS JOIN UNNEST(detail.analysis.images) AS t(images)
CROSS JOIN UNNEST(images.analysis.celebrityfaces) AS t(celebrityfaces)
