-- Sentiment distribution per language: for each analysed language, how many messages had each
-- sentiment (NONE when the language has no sentiment model) and their share of that language.
SELECT coalesce(detail.analysis.language, 'unknown') AS language,
       coalesce(detail.analysis.textsentiment, 'NONE') AS sentiment,
       count(*) AS messages,
       round(100.0 * count(*) / sum(count(*)) OVER (PARTITION BY coalesce(detail.analysis.language, 'unknown')), 1) AS percent_of_language
FROM "analysed-messages-table"
GROUP BY 1, 2
ORDER BY language, messages DESC, sentiment
