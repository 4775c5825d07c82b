"""GraphQL fields and types of objections and repair applications."""
