-- Failed analyses by stage: how many messages failed analysis at each stage (analyse-text,
-- download-media, or a service error name), with one cause as an example.
SELECT json_extract_scalar(detail, '$.Error.Stage') AS stage,
       count(DISTINCT id) AS failures,
       max(json_extract_scalar(detail, '$.Error.Cause')) AS example_cause
FROM events
WHERE detail_type = 'MESSAGE_ANALYSIS_FAILED'
GROUP BY 1
ORDER BY failures DESC, stage
