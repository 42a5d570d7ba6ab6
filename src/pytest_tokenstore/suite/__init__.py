"""The contract tests the kit runs against every store given with --tokenstore."""
