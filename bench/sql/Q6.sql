-- Q6: ranked full-text search for one word, first 20 hits, with each hit's record
-- (bench/queries/Q6.graphql). Same ranking as the API: ts_rank, best first, then id.
SELECT h.record_id AS id, h.score,
       coalesce(e.kind, h.record_kind) AS kind,
       coalesce(e.slug, p.slug) AS slug,
       coalesce(e.title, p.title) AS title
  FROM (SELECT d.record_id, d.record_kind, ts_rank(d.document, q) AS score
          FROM search_documents d, websearch_to_tsquery('english', 'ceasefire') q
         WHERE d.document @@ q
         ORDER BY score DESC, d.record_id
         LIMIT 20) h
  LEFT JOIN events e ON h.record_kind = 'event' AND e.id = h.record_id
  LEFT JOIN proposals p ON h.record_kind = 'proposal' AND p.id = h.record_id
 ORDER BY h.score DESC, h.record_id;
