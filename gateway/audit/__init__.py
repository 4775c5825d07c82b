"""The audit log: one event per GraphQL request, leaves of an RFC 6962/9162 Merkle tree whose signed
heads let anyone holding a head and the audit public key check inclusion and consistency.

Pure modules (no database, no web framework): ``canonical`` (the event bytes), ``merkle`` (tree
hashes, proofs and their verification), ``heads`` (signed tree heads), ``events`` (the event document
and what is indexed from it), ``redaction`` (identity values out of documents and variables),
``anomalies`` (the flags). The rest works on a SQLAlchemy connection: ``store`` appends, ``tree``
serves proofs, ``verify`` recomputes everything, ``committer`` groups concurrent appends,
``filters``/``queries``/``proofs``/``export`` serve auditors (and ``history``/``prune`` individuals
and operators).
See docs/audit.md.
"""
