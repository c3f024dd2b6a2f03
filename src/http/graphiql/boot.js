// Starts GraphiQL on the page `/` serves. The default query comes from the page's JSON
// data block, so that the page holds no script of its own and its CSP can forbid inline
// scripts.
"use strict";
(() => {
  const defaultQuery = JSON.parse(
    document.getElementById("graphiql-default-query").textContent,
  );
  const fetcher = GraphiQL.createFetcher({ url: "/graphql" });
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher,
      defaultQuery,
      defaultEditorToolsVisibility: true,
    }),
  );
})();
