"""The GraphQL layer: Strawberry types and resolvers on Starlette. It calls services and pure
modules; nothing below it imports from here."""
