"""Pure rules of a record's life after it is published: display periods, objections, repair, credit
checks, grades and data-quality measures. Nothing here touches the database or the GraphQL layer."""
