-- Q1: one actor by id, scalar fields (bench/queries/Q1.graphql).
-- Record ids are derived from slugs, so this is actor-000000's id at any scale and seed;
-- bench/run checks it against the id the API returns.
\set actor_id 8898547078025589902
SELECT a.id, a.slug, a.name, a.kind, a.country, a.description
  FROM actors a
 WHERE a.id = :actor_id;
