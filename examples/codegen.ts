// Generates TypeScript types for the documents in queries/ from the committed schema.
// Codegen validates every document against the schema first: a document that selects a
// field, passes an argument or spreads a fragment the schema does not allow fails the run.
import type { CodegenConfig } from "@graphql-codegen/cli";

// Shared by both outputs.
const types = {
  // Every custom scalar must be mapped here; one left out fails the run.
  strictScalars: true,
  scalars: {
    // The schema's one custom scalar: RFC 3339 in UTC, such as "2025-12-28T18:00:00Z".
    DateTime: "string",
    // Global ids are opaque strings; a number is never a valid id.
    ID: "string",
  },
  // Enums as unions of string literals: no runtime code, and JSON values fit as they are.
  enumsAsTypes: true,
  // Responses are data, not state to mutate.
  immutableTypes: true,
  useTypeImports: true,
};

const config: CodegenConfig = {
  schema: "../schema.graphql",
  documents: "queries/*.graphql",
  overwrite: true,
  // No documents found is an error, not an empty success.
  ignoreNoDocuments: false,
  generates: {
    // Every schema type: objects, interfaces, unions, enums, inputs.
    "generated/schema.ts": {
      plugins: ["typescript"],
      config: {
        ...types,
        // A nullable field is present in every response (as null): `T | null`, never optional.
        avoidOptionals: { field: true, object: true, inputValue: false, defaultValue: false },
      },
    },
    // One result type and one variables type per operation, one type per fragment. Since
    // typescript-operations 6 the plugin declares the enums and inputs it uses itself;
    // taking them from schema.ts instead keeps one declaration of each.
    "generated/graphql.ts": {
      plugins: ["typescript-operations"],
      config: {
        ...types,
        importSchemaTypesFrom: "./generated/schema.ts",
        namespacedImportName: "Types",
        // A nullable field is present in every response (as null): `T | null`, never
        // optional. Variables with a default or a nullable type stay optional.
        avoidOptionals: { field: true, object: true, inputValue: false, defaultValue: false },
        // `__typename` is typed only where a document selects it.
        skipTypename: true,
      },
    },
  },
};

export default config;
