"""Pure rules of a record's life after it is published: display periods, objections, repair, credit
checks, grades and data-quality measures. Nothing here touches the database or the GraphQL layer; the
services (``gateway.objections``, ``gateway.repairs``, …) load rows and apply these rules."""
