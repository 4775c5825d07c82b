"""GraphQL fields and types of credit checks, credit evaluations and data quality."""
