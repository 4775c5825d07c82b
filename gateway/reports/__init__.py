"""Credit reports: signed documents of what a requester may see of a subject (docs/reports.md)."""
