-- All positive messages: every message whose text sentiment is POSITIVE, text-only messages included
-- (no UNNEST of the images, which would drop messages without any), with its score and image URLs.
SELECT detail.twitter.tweetid AS tweet_id,
       detail.author AS author,
       detail.text AS text,
       detail.analysis.sentimentscore.positive AS positive_score,
       detail.imageurls AS image_urls,
       time
FROM "analysed-messages-table"
WHERE detail.analysis.textsentiment = 'POSITIVE'
ORDER BY time, tweet_id
