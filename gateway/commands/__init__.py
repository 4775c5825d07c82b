"""Sub-commands of the ``credit-gateway`` CLI, one module per job."""
