"""govmedia, the application: the command line, the cycle and its schedule, the crawl runner,
alerts, the cycle lock and logging.

The layers, each a folder: `registry` (the ledger and the rules) is the base and imports none of
the others; `spiders` (observation) and `reports` (presentation) build on `registry` alone; this
package puts the three together. tests/test_layers.py keeps it so.
"""

__version__ = "0.1.0"
