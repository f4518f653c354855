"""One spider per source; each only builds the platform's requests and calls its parsers."""
