"""Deterministic synthetic demo data and the ``serve --demo`` bootstrap, written through the store's own paths."""
