-- Negative messages per hour: how many analysed messages were NEGATIVE in each UTC hour, read from the
-- dt and hour partitions (add WHERE dt >= '…' to scan only recent days).
SELECT dt,
       hour,
       count(*) AS negative_messages,
       round(avg(detail.analysis.sentimentscore.negative), 3) AS avg_negative_score
FROM "analysed-messages-table"
WHERE detail.analysis.textsentiment = 'NEGATIVE'
GROUP BY dt, hour
ORDER BY dt, hour
