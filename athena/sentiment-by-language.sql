-- Sentiment distribution per language: for each analysed language, how many messages had each
-- sentiment (NONE when the language has no sentiment model) and their share of that language.
-- Reads the silver posts table: each post once, with its latest analysis (posts whose analysis
-- failed are left out).
SELECT coalesce(language, 'unknown') AS language,
       coalesce(sentiment, 'NONE') AS sentiment,
       count(*) AS messages,
       round(100.0 * count(*) / sum(count(*)) OVER (PARTITION BY coalesce(language, 'unknown')), 1) AS percent_of_language
FROM posts
WHERE analysed_at IS NOT NULL
GROUP BY 1, 2
ORDER BY 1, 3 DESC, 2
