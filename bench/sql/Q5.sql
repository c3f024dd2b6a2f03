-- Q5: the timeline of actor-000000 (the busiest actor), every kind of event, first 50
-- (bench/queries/Q5.graphql). The id is actor-000000's, as in Q1.sql.
-- The id is written inline, not as a \set variable: under pgbench -M prepared a bound
-- id gets PostgreSQL's generic plan after five runs, which plans for an average actor
-- (about 20 links) and sorts all 19,000 of this one's (about 35 ms instead of 1 ms).
-- event_participants.occurred_at is the event's time, indexed with
-- (actor_id, occurred_at, event_id); DISTINCT lists an event once when the actor has
-- two roles in it.
SELECT e.id, e.kind, e.slug, e.title, e.occurred_at
  FROM (SELECT DISTINCT ep.occurred_at, ep.event_id
          FROM event_participants ep
         WHERE ep.actor_id = 8898547078025589902
         ORDER BY ep.occurred_at, ep.event_id
         LIMIT 50) p
  JOIN events e ON e.id = p.event_id
 ORDER BY p.occurred_at, p.event_id;
