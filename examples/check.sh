#!/usr/bin/env bash
# Checks the example documents against the committed schema and type-checks the client:
# a clean install from the lockfile, code generation (which fails on any document the
# schema does not allow), then the TypeScript compiler over client.ts, the generated
# types, and each document's variables file typed as that document's variables.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

npm ci --no-audit --no-fund
npx graphql-codegen --config codegen.ts

# queries/<Name>.graphql holds the query <Name>; its variables (queries/<Name>.variables.json,
# or none) must type as <Name>QueryVariables: a missing required variable, an unknown one
# or a value of the wrong type fails the compile below, as does a file whose operation is
# named otherwise.
node --input-type=module - <<'JS'
import { readdirSync, readFileSync, existsSync, writeFileSync } from "node:fs";
const lines = ['import type * as Operations from "./graphql";', ""];
for (const file of readdirSync("queries").filter((f) => f.endsWith(".graphql")).sort()) {
  const name = file.slice(0, -".graphql".length);
  const path = `queries/${name}.variables.json`;
  const variables = existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : {};
  lines.push(
    `export const ${name}: Operations.${name}QueryVariables = ${JSON.stringify(variables)};`,
  );
}
writeFileSync("generated/variables.ts", lines.join("\n") + "\n");
JS

npx tsc --noEmit -p .

# The trusted-documents manifest of these documents, for `communique --persisted-only`:
# each operation under the SHA-256 of its text, exactly as a client sends it.
node --input-type=module - <<'JS'
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
const operations = readdirSync("queries")
  .filter((f) => f.endsWith(".graphql"))
  .sort()
  .map((file) => {
    const body = readFileSync(`queries/${file}`, "utf8");
    const id = createHash("sha256").update(body, "utf8").digest("hex");
    return { id, name: file.slice(0, -".graphql".length), type: "query", body };
  });
const manifest = { format: "apollo-persisted-query-manifest", version: 1, operations };
writeFileSync("generated/persisted-operations.json", JSON.stringify(manifest, null, 2) + "\n");
console.log(`examples: ${operations.length} operations in generated/persisted-operations.json`);
JS
echo "examples: documents valid against ../schema.graphql; client and variables type-check"
