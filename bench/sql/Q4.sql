-- Q4: the first 100 statements made in January 2020, with their speakers' names
-- (bench/queries/Q4.graphql; the range matches Q4.variables.json).
\set from_epoch 1577836800
\set to_epoch 1580515200
SELECT e.id, e.slug, s.kind, s.channel, s.text, e.occurred_at, a.name AS speaker
  FROM events e
  JOIN statements s ON s.event_id = e.id
  JOIN actors a ON a.id = s.speaker_id
 WHERE e.kind = 'statement'
   AND e.occurred_at >= to_timestamp(:from_epoch)
   AND e.occurred_at < to_timestamp(:to_epoch)
 ORDER BY e.occurred_at, e.id
 LIMIT 100;
