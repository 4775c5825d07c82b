// GraphiQL from the package's own copies of React and GraphiQL (vendor/): no CDN, works offline.
// Served only in dev mode (GATEWAY_DEV_MODE=1). Tokens go in the Headers tab and are not persisted.
/* global React, ReactDOM, GraphiQL */
(function start() {
  const fetcher = GraphiQL.createFetcher({ url: "/graphql" });
  const root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher,
      defaultEditorToolsVisibility: true,
      shouldPersistHeaders: false,
    }),
  );
})();
