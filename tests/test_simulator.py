"""The simulated platforms: the protocol they speak, their clock, and a deterministic world."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import requests

from registry.config import load_config, validate_data
from registry.constants import Source
from spiders.parsers.common import http_date
from spiders.simulator import (
    SAMPLE_PROFILES,
    SIMULATOR_WECHAT_COOKIE,
    SIMULATOR_WECHAT_TOKEN,
    Profile,
    RunningSimulator,
    World,
    point_config_at,
    site_path,
    start_simulator,
    synthetic_config,
)
from spiders.simulator.world import hashed_profile, profile_from_text
from tests.fixtures.simulator import SAMPLE, SIM_NOW, sample_data

PUBLISH = (
    "/cgi-bin/appmsgpublish?sub=list&begin=0&count=5&fakeid={fakeid}&type=101_1"
    "&free_publish_type=1&sub_action=list_ex&token={token}&lang=zh_CN&f=json&ajax=1"
)


def get(sim: RunningSimulator, path: str, **headers: str) -> requests.Response:
    return requests.get(sim.url + path, headers=headers, timeout=5)


def test_date_header_comes_from_the_simulators_clock(sim_clock: RunningSimulator) -> None:
    answer = get(sim_clock, "/api/container/getIndex?type=uid&value=2803301701")
    assert http_date(answer.headers["Date"]) == SIM_NOW


def test_clock_can_be_moved(sim_clock: RunningSimulator) -> None:
    later = SIM_NOW + dt.timedelta(days=3)
    sim_clock.set_now(later)
    answer = get(sim_clock, "/api/container/getIndex?type=uid&value=2803301701")
    assert http_date(answer.headers["Date"]) == later


def test_wechat_without_the_cookie_is_session_expired(simulator: RunningSimulator) -> None:
    path = PUBLISH.format(fakeid="daily-s1", token=SIMULATOR_WECHAT_TOKEN)
    assert get(simulator, path).json()["base_resp"]["ret"] == 200003


def test_wechat_with_a_wrong_token_is_session_expired(simulator: RunningSimulator) -> None:
    path = PUBLISH.format(fakeid="daily-s1", token="0000")
    answer = get(simulator, path, Cookie=SIMULATOR_WECHAT_COOKIE)
    assert answer.json()["base_resp"]["ret"] == 200003


def test_wechat_with_the_login_lists_pushes(simulator: RunningSimulator) -> None:
    path = PUBLISH.format(fakeid="daily-s1", token=SIMULATOR_WECHAT_TOKEN)
    answer = get(simulator, path, Cookie=SIMULATOR_WECHAT_COOKIE)
    assert json.loads(answer.json()["publish_page"])["publish_list"]


def test_wechat_rejects_parameters_that_are_not_the_platforms(simulator: RunningSimulator) -> None:
    path = PUBLISH.format(fakeid="daily-s1", token=SIMULATOR_WECHAT_TOKEN).replace("101_1", "9")
    answer = get(simulator, path, Cookie=SIMULATOR_WECHAT_COOKIE)
    assert answer.json()["base_resp"]["ret"] == 200002


def test_weibo_checks_the_containerid(simulator: RunningSimulator) -> None:
    path = "/api/container/getIndex?type=uid&value=123&containerid=107603999&page=1"
    assert get(simulator, path).json() == {"ok": 0, "msg": "参数错误"}


def test_unknown_path_is_404(simulator: RunningSimulator) -> None:
    assert get(simulator, "/nothing/here").status_code == 404


def test_requests_are_recorded(simulator: RunningSimulator) -> None:
    get(simulator, "/api/container/getIndex?type=uid&value=recorded-s2")
    assert simulator.requests("value=recorded-s2")


def test_simulators_with_reuse_port_share_one_port_and_answer_alike() -> None:
    """The benchmark serves a big world from several processes on one port (SO_REUSEPORT):
    the kernel spreads new connections over them, and each answers as the world says."""
    path = "/api/container/getIndex?type=uid&value=shared-{}"
    with start_simulator(World(anchor=SIM_NOW), reuse_port=True) as first:
        port = int(first.url.rpartition(":")[2])
        with start_simulator(World(anchor=SIM_NOW), port=port, reuse_port=True) as second:
            assert second.url == first.url
            shared = [get(first, path.format(i)).content for i in range(40)]  # new connections
            served = (len(first.requests("shared-")), len(second.requests("shared-")))
    assert min(served) > 0 and sum(served) == 40
    with start_simulator(World(anchor=SIM_NOW)) as alone:
        assert [get(alone, path.format(i)).content for i in range(40)] == shared


# --- the world ----------------------------------------------------------------------------


REQUIRED = {
    Profile.DAILY,
    Profile.WEEKLY,
    Profile.SILENT_10D,
    Profile.SILENT_20D,
    Profile.SILENT_120D,
    Profile.DELETED,
    Profile.BLOCKED,
    Profile.AUTH_EXPIRED,
    Profile.MALFORMED,
}


def test_sample_ledger_shows_every_profile() -> None:
    assert set(SAMPLE_PROFILES.values()) >= REQUIRED


def test_every_sample_mapping_names_a_ledger_account() -> None:
    ids = {a.id for _, a in load_config(SAMPLE, today=SIM_NOW.date()).config.iter_accounts()}
    assert set(SAMPLE_PROFILES) <= ids


def test_world_is_deterministic() -> None:
    config = load_config(SAMPLE, today=SIM_NOW.date()).config
    one, two = World.from_config(config, SIM_NOW), World.from_config(config, SIM_NOW)
    account = one.resolve(Source.WEIBO, "2803301701")
    assert one.post_times(account, SIM_NOW) == two.post_times(account, SIM_NOW)


def test_silent_account_stays_silent_as_the_clock_moves() -> None:
    world = World(anchor=SIM_NOW)
    account = world.resolve(Source.WEIBO, "silent_10d-s3")
    later = SIM_NOW + dt.timedelta(days=7)
    assert world.post_times(account, later)[0] == world.post_times(account, SIM_NOW)[0]


def test_silent_10d_last_posted_ten_days_before_the_anchor() -> None:
    world = World(anchor=SIM_NOW)
    latest = world.post_times(world.resolve(Source.WEIBO, "silent_10d-s3"), SIM_NOW)[0]
    age = SIM_NOW - dt.datetime.fromtimestamp(latest, dt.UTC)
    assert dt.timedelta(days=10) <= age < dt.timedelta(days=12)


def test_daily_account_keeps_posting_as_the_clock_moves() -> None:
    world = World(anchor=SIM_NOW)
    account = world.resolve(Source.WEIBO, "daily-s4")
    later = SIM_NOW + dt.timedelta(days=7)
    assert len(world.post_times(account, later)) > len(world.post_times(account, SIM_NOW))


def test_identifier_prefix_names_the_profile() -> None:
    assert profile_from_text("silent_120d-7") is Profile.SILENT_120D


def test_plain_identifier_has_no_prefix_profile() -> None:
    assert profile_from_text("2803301701") is None


def test_hashed_profile_is_stable_across_processes() -> None:
    assert hashed_profile("5000000000") is hashed_profile("5000000000")  # CRC-32, not hash()


def test_search_finds_a_deleted_name_nowhere() -> None:
    assert World(anchor=SIM_NOW).search(Source.WECHAT, "deleted-某单位") is None


# --- configs pointed at the simulator --------------------------------------------------------


def test_point_config_at_sets_every_base_url() -> None:
    pointed = point_config_at(sample_data(), "http://127.0.0.1:9")
    assert {s["base_url"] for s in pointed["sources"].values()} == {"http://127.0.0.1:9"}


def test_point_config_at_keeps_politeness() -> None:
    pointed = point_config_at(sample_data(), "http://127.0.0.1:9")
    assert pointed["sources"]["wechat"]["concurrency"] == 1


def test_point_config_at_rewrites_site_urls() -> None:
    pointed = point_config_at(sample_data(), "http://127.0.0.1:9")
    urls = [a.get("url") for d in pointed["departments"] for a in d["accounts"]]
    assert "http://127.0.0.1:9/sites/www.boai.gov.cn/zwgk/zwyw/" in urls


def test_point_config_at_leaves_its_input_alone() -> None:
    data = sample_data()
    before = sample_data()["sources"]["weibo"]["base_url"]
    point_config_at(data, "http://127.0.0.1:9")
    assert data["sources"]["weibo"]["base_url"] == before
    assert not before.startswith("http://127.0.0.1")


def test_site_path_of_a_pointed_url_is_unchanged() -> None:
    assert site_path("http://127.0.0.1:9/sites/a.gov.cn/x/?p=1") == "/sites/a.gov.cn/x/?p=1"


@pytest.mark.parametrize("n", [1, 120])
def test_synthetic_config_is_a_valid_ledger(n: int) -> None:
    loaded = validate_data(synthetic_config(n), source_name="synthetic", today=SIM_NOW.date())
    assert sum(1 for _ in loaded.config.iter_accounts()) == n


def test_synthetic_config_mixes_weibo_and_wechat() -> None:
    data = synthetic_config(4)
    assert [a["platform"] for a in data["departments"][0]["accounts"]] == [
        "weibo",
        "wechat",
        "weibo",
        "wechat",
    ]


# --- govmedia simulate -------------------------------------------------------------------------


def test_simulate_serves_until_sigterm(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import signal
    import subprocess
    import sys

    written = tmp_path / "sim.yaml"
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from govmedia.cli import main; main()",
            "simulate",
            "-c",
            str(SAMPLE),
            "--port",
            "0",
            "--now",
            "2026-11-28T09:00",
            "--write-config",
            str(written),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("GOVMEDIA_")},
    )
    try:
        assert child.stdout is not None
        url = child.stdout.readline().split()[3]
        for line in child.stdout:
            if line.startswith("export "):
                break
        answer = requests.get(f"{url}/api/container/getIndex?type=uid&value=2803301701", timeout=5)
        assert (answer.json()["ok"], url in written.read_text(encoding="utf-8")) == (1, True)
    finally:
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=10) == 0
