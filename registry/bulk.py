"""Helpers for the few places that build or churn through millions of objects (20,000-account
ledgers, a year of posts, a crawl)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def bulk_allocation() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a large, acyclic structure is built.

    Each allocation burst would otherwise trigger collections that walk the whole growing heap
    again and again for nothing (a third of the time when a 20,000-account ledger is read).
    Reference counting still frees garbage meanwhile; the collector resumes as it was afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# The collector's thresholds while a crawl runs (Python's are 700, 10, 10): a 20,000-account
# crawl makes millions of short-lived objects and almost no cyclic garbage (a few thousand
# objects in all), yet collected a sixth of its CPU away at Python's thresholds, most of it in
# the older generations; at these, under a twentieth, with the same peak RSS.
CRAWL_GC_THRESHOLDS = (10_000, 10, 10)


@contextmanager
def long_lived_heap() -> Iterator[None]:
    """Hide every object alive now from the cyclic garbage collector while the block runs, and
    collect the new ones less often (`CRAWL_GC_THRESHOLDS`).

    A crawl makes millions of short-lived objects; every full collection would otherwise walk
    the ledger, the accounts to crawl and every imported module again (a tenth to a sixth of a
    20,000-account crawl's CPU). Objects made inside the block are collected as usual, only less
    often; the hidden ones rejoin the collector and the thresholds are restored afterwards.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*CRAWL_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
