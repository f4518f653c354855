"""The simulator's route table: each platform module contributes its `ROUTES`.

A key is an exact path, or a prefix ending in `/` (e.g. `/sites/` for feeds and government sites);
the longest matching prefix wins. A new platform adds its module name to `PLATFORMS`.
"""

from __future__ import annotations

from importlib import import_module

from spiders.simulator.server import Handler

PLATFORMS: tuple[str, ...] = (
    "weibo",
    "passport",
    "wechat",
    "mplogin",
    "bilibili",
    "web",  # feeds too
    "search",
)


def route_table() -> dict[str, Handler]:
    routes: dict[str, Handler] = {}
    for name in PLATFORMS:
        module = import_module(f"spiders.simulator.{name}")
        for path, handler in module.ROUTES.items():
            if path in routes:
                raise ValueError(f"simulator route {path} is served twice (by {name})")
            routes[path] = handler
    for path, wrap in import_module("spiders.simulator.search").WRAPS.items():
        routes[path] = wrap(routes[path])  # searches served on another module's path
    return routes
