"""A record's life after it is published: display periods, objections, repair, credit checks, grades
and data-quality measures. The pure rules live in ``gateway.lifecycle.rules`` (no database, no
GraphQL); the services beside them (``objections``, ``repairs``, ``checks``, ``evaluations``,
``quality``) load rows, apply those rules and write through the store. Request services never commit:
the caller's unit of work does."""
