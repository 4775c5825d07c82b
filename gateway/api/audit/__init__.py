"""GraphQL fields and types of the auditor API and of a person's query history."""
