-- Q3: the first 20 actors by name, each with its first 10 statements in time order
-- (bench/queries/Q3.graphql). statements.occurred_at is the event's time, copied onto
-- the speaker link and indexed with it (speaker_id, occurred_at, event_id).
SELECT a.id, a.name, st.statements
  FROM (SELECT id, name FROM actors ORDER BY name, id LIMIT 20) a
 CROSS JOIN LATERAL (
       SELECT coalesce(json_agg(json_build_object('id', e.id, 'slug', e.slug, 'text', p.text,
                                                  'at', e.occurred_at)
                                ORDER BY p.occurred_at, p.event_id), '[]') AS statements
         FROM (SELECT s.event_id, s.occurred_at, s.text
                 FROM statements s
                WHERE s.speaker_id = a.id
                ORDER BY s.occurred_at, s.event_id
                LIMIT 10) p
         JOIN events e ON e.id = p.event_id) st
 ORDER BY a.name, a.id;
