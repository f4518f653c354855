"""The ledger and the rules: config models and validation, the store, compliance, verdicts,
filings' facts. Imports neither `spiders` nor `reports` nor `govmedia` (tests/test_layers.py)."""
