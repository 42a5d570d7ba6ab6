"""pytest-tokenstore: a conformance test kit for Zoho CRM SDK token stores."""

__version__ = "0.1.0"
