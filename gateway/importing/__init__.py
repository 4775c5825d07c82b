"""Bulk import of credit information: JSON Lines and the national double-publicity CSV layouts.

Readers (``jsonl``, ``double_publicity``) turn each line of a file into validated inputs from
``gateway.store.inputs`` or a rejection; ``pipeline`` de-duplicates them within the file and hands them in
batches to ``gateway.store.writer.StoreWriter``; ``report`` counts what happened to every line. The
format is written up in ``docs/import-format.md``.
"""
