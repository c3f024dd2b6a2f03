-- Q2: the first 50 meetings by start time, each with its participants (in the API's
-- order: role, then id) and their names (bench/queries/Q2.graphql).
SELECT e.id, e.slug, e.title, e.occurred_at,
       (SELECT coalesce(json_agg(json_build_object('role', ep.role, 'name', a.name)
                                 ORDER BY ep.role, ep.id), '[]')
          FROM event_participants ep
          JOIN actors a ON a.id = ep.actor_id
         WHERE ep.event_id = e.id) AS participants
  FROM events e
 WHERE e.kind = 'meeting'
 ORDER BY e.occurred_at, e.id
 LIMIT 50;
