"""Bilibili's public Wbi request signing (w_rid, wts), shared by the spider and the simulator.

The algorithm is the one documented by SocialSisterYi/bilibili-API-collect
(docs/misc/sign/wbi.md): the mixin key is `img_key + sub_key` permuted by a fixed 64-entry table
and cut to 32 characters; the signature is the MD5 of the sorted, filtered, percent-encoded query
followed by the mixin key. The keys come from `/x/web-interface/nav` (`data.wbi_img`) and change
daily, so a crawl fetches them once, signs every request with them, and fetches them again when
the platform refuses a signature (spiders/sources/bilibili.py).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import quote, urlencode

# The fixed permutation of the 64 characters of img_key + sub_key.
MIXIN_KEY_ENC_TAB: tuple[int, ...] = (
    46, 47, 18, 2, 53, 8, 23, 32, 15, 50, 10, 31, 58, 3, 45, 35, 27, 43, 5, 49,
    33, 9, 42, 19, 29, 28, 14, 39, 12, 38, 41, 13, 37, 48, 7, 16, 24, 55, 40,
    61, 26, 17, 0, 1, 60, 51, 30, 4, 22, 25, 54, 21, 56, 59, 6, 63, 57, 62, 11,
    36, 20, 34, 44, 52,
)  # fmt: skip

# Characters the browser strips from parameter values before signing.
_FILTERED = str.maketrans("", "", "!'()*")


class WbiKeyError(ValueError):
    """The nav response did not carry usable `wbi_img` keys."""


def mixin_key(img_key: str, sub_key: str) -> str:
    """The 32-character signing key derived from the day's two keys."""
    raw = img_key + sub_key
    if len(raw) < 64:
        raise WbiKeyError(f"img_key + sub_key must be 64 characters, got {len(raw)}")
    return "".join(raw[i] for i in MIXIN_KEY_ENC_TAB)[:32]


def key_from_url(url: str) -> str:
    """`https://i0.hdslb.com/bfs/wbi/7cd0….png` → `7cd0…` (the file name is the key)."""
    name = url.rsplit("/", 1)[-1]
    return name.split(".", 1)[0]


def keys_from_nav(payload: Mapping[str, object]) -> tuple[str, str]:
    """(img_key, sub_key) from a decoded `/x/web-interface/nav` body.

    nav answers code -101 (not logged in) to an anonymous client and still carries the keys, so
    the code is not checked here, only the keys.
    """
    data = payload.get("data")
    wbi_img = data.get("wbi_img") if isinstance(data, Mapping) else None
    if not isinstance(wbi_img, Mapping):
        raise WbiKeyError("nav response has no data.wbi_img")
    img_url, sub_url = wbi_img.get("img_url"), wbi_img.get("sub_url")
    if not isinstance(img_url, str) or not isinstance(sub_url, str):
        raise WbiKeyError("nav response has no data.wbi_img.img_url / sub_url")
    img_key, sub_key = key_from_url(img_url), key_from_url(sub_url)
    if len(img_key) != 32 or len(sub_key) != 32:
        raise WbiKeyError("nav wbi_img keys are not 32 characters each")
    return img_key, sub_key


def canonical_query(params: Mapping[str, object]) -> str:
    """The query that is signed: keys sorted, "!'()*" removed from values, encoded like the
    browser's encodeURIComponent (upper-case escapes, space as %20)."""
    cleaned = {k: str(v).translate(_FILTERED) for k, v in sorted(params.items())}
    return urlencode(cleaned, quote_via=quote, safe="")


def signature(params: Mapping[str, object], key: str) -> str:
    """w_rid for `params` (which must already hold `wts`) under a mixin key."""
    return hashlib.md5((canonical_query(params) + key).encode(), usedforsecurity=False).hexdigest()


def sign(params: Mapping[str, object], img_key: str, sub_key: str, *, wts: int) -> dict[str, str]:
    """`params` plus `wts` and `w_rid`, all as strings, ready for a query string."""
    signed = {k: str(v).translate(_FILTERED) for k, v in params.items()}
    signed["wts"] = str(wts)
    signed["w_rid"] = signature(signed, mixin_key(img_key, sub_key))
    return signed


def verify(params: Mapping[str, str], img_key: str, sub_key: str) -> bool:
    """True when `params` carries a `w_rid` that matches its other parameters (server side)."""
    given = params.get("w_rid")
    if not given or "wts" not in params:
        return False
    rest = {k: v for k, v in params.items() if k != "w_rid"}
    expected = signature(rest, mixin_key(img_key, sub_key))
    return hmac.compare_digest(given, expected)
