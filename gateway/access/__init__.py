"""Who may see what: caller tokens and their verification, the field policy, masking, row visibility and consents."""
