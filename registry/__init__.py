"""govmedia's ledger and rules: config models, the store, compliance, filings, the CLI."""

__version__ = "0.1.0"
