// The GraphQL-over-HTTP conformance audit of graphql-http against a running server. Every
// audit is printed; the run fails on any `error` (a MUST the server breaks) and on any
// `warn` (a SHOULD); a `notice` (a MAY) is printed and does not fail it.
//
//   node tests/audit.mjs --url http://127.0.0.1:8000/graphql

import { parseArgs } from "node:util";

import { serverAudits } from "graphql-http";

const { values: options } = parseArgs({
  options: { url: { type: "string", default: process.env.COMMUNIQUE_GRAPHQL_URL } },
});
if (!options.url) {
  console.error("usage: node tests/audit.mjs --url GRAPHQL_URL");
  process.exit(2);
}

const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
// One at a time, so that each response printed belongs to its audit alone.
for (const audit of serverAudits({ url: options.url })) {
  const result = await audit.fn();
  counts[result.status] += 1;
  const mark = { ok: "ok", notice: "ok", warn: "not ok", error: "not ok" }[result.status];
  console.log(`${mark} - ${result.status.toUpperCase()} [${result.id}] ${result.name}`);
  if (result.status !== "ok") {
    const response = result.response;
    const body = await response.text().catch(() => "(body already read)");
    console.log(`  reason: ${result.reason}`);
    console.log(`  response: ${response.status} ${response.headers.get("content-type") ?? "(no content-type)"}`);
    console.log(`  body: ${body.slice(0, 300).replaceAll("\n", " ")}`);
  }
}

const failed = counts.warn + counts.error;
console.log(
  `\n${counts.ok} ok, ${counts.notice} notice, ${counts.warn} warn, ${counts.error} error` +
    `\n${counts.ok + counts.notice} passed, ${failed} failed`,
);
process.exit(failed === 0 ? 0 : 1);
