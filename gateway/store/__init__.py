"""The credit store: tables, engines and migrations, validated inputs, the one write path and the read services."""
