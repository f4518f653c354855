"""The simulated platforms: Weibo and WeChat (and, through their modules, the other sources)
served over real HTTP on 127.0.0.1 from a deterministic world, for tests, benchmarks and the demo.

    world = World.from_config(config, now)
    with start_simulator(world) as sim:           # port 0: any free port
        data = point_config_at(config_data, sim.url)
        sim.set_now(later)                         # the clock the Date header shows
"""

from spiders.simulator.server import RunningSimulator, SimRequest, SimResponse, start_simulator
from spiders.simulator.world import (
    SAMPLE_PROFILES,
    SIMULATOR_WECHAT_COOKIE,
    SIMULATOR_WECHAT_TOKEN,
    Profile,
    SimAccount,
    World,
    point_config_at,
    site_path,
    synthetic_config,
)

__all__ = [
    "SAMPLE_PROFILES",
    "SIMULATOR_WECHAT_COOKIE",
    "SIMULATOR_WECHAT_TOKEN",
    "Profile",
    "RunningSimulator",
    "SimAccount",
    "SimRequest",
    "SimResponse",
    "World",
    "point_config_at",
    "site_path",
    "start_simulator",
    "synthetic_config",
]
