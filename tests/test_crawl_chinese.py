"""The observation commands speak Chinese by default and English on request: `crawl` (its summary,
its progress bar, its errors), `simulate`, `observe`, `login wechat`, `login status`, `discover`
and `discover dismiss`. Crawls, sweeps and logins run as child processes against the simulated
platforms (Scrapy's reactor runs once per process), without any locale variable: the default."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from govmedia.cli import main
from registry.config import load_config
from spiders.simulator import RunningSimulator, World, start_simulator
from spiders.simulator.search import add_discoverable
from tests.conftest import CHINESE
from tests.fixtures.simulator import SAMPLE, SIM_ENV, SIM_NOW, sample_data, write_crawl_config
from tests.fixtures.terminal import run_on_terminal
from tests.test_crawl_e2e import weibo_and_wechat_ledger
from tests.test_logins import WECHAT_LEDGER, wait_for_qr

LOCALE = ("LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE")
NOW = ["--now", SIM_NOW.isoformat()]
CLI = [sys.executable, "-c", "from govmedia.cli import main; main()"]


@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    """This process reads English again after each test (the rest of the suite asserts it)."""
    yield
    CliRunner().invoke(main, ["--help"], env={"LANG": "en_US.UTF-8"})


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a child with no locale at all (Chinese) and no GOVMEDIA_ variable."""
    base = {
        k: v for k, v in os.environ.items() if not k.startswith("GOVMEDIA_") and k not in LOCALE
    }
    return {**base, "COLUMNS": "200", **(extra or {})}


def govmedia_zh(
    *args: str, env: dict[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        env=child_env(env),
        timeout=timeout,
        check=False,
    )


def zh(*args: str) -> object:
    return CliRunner().invoke(main, list(args), env=CHINESE)


# ---------------------------------------------------------------------------------------------
# crawl


@pytest.fixture(scope="module")
def crawl_ledger(simulator: RunningSimulator, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_crawl_config(
        tmp_path_factory.mktemp("zh-crawl"), simulator.url, weibo_and_wechat_ledger()
    )


def test_crawl_summary_is_chinese_by_default(simulator, crawl_ledger):
    simulator.set_now(SIM_NOW)
    done = govmedia_zh("crawl", "-c", str(crawl_ledger), *NOW, env=SIM_ENV)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert re.search(r"采集 \d{8}T\d{6}Z-[0-9a-f]{8}", out)  # the table's title
    assert "来源" in out and "账号数" in out
    assert "未正常采集（无法核验，不视为不活跃）" in out
    assert "yjglj-wechat" in out and "被平台拦截" in out  # blocked, with its Chinese label
    # The manual accounts are skipped, and the line says why in Chinese.
    assert re.search(r"^跳过：3 人工报送$", out, re.M), out
    assert "not ok" not in out and "skipped" not in out


def test_crawl_summary_in_english_on_request(simulator, crawl_ledger):
    simulator.set_now(SIM_NOW)
    args = ["crawl", "--lang", "en", "-c", str(crawl_ledger), *NOW]
    done = govmedia_zh(*args, "--only", "yjglj-wechat", "--only", "xzf-toutiao", env=SIM_ENV)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "not ok (unknown, never inactive)" in done.stdout
    assert "skipped: 1 manual source" in done.stdout
    assert not re.search(r"[\u4e00-\u9fff]{2}：", done.stdout.replace("被平台拦截", ""))


def test_crawl_unknown_account_is_refused_in_chinese(crawl_ledger):
    done = govmedia_zh("crawl", "-c", str(crawl_ledger), "--only", "no-such-account")
    assert done.returncode == 2
    assert "台账中没有账号 'no-such-account'" in done.stderr
    assert "govmedia accounts" in done.stderr
    english = govmedia_zh("--lang", "en", "crawl", "-c", str(crawl_ledger), "--only", "nope")
    assert english.returncode == 2 and "no account 'nope' in the ledger" in english.stderr


def test_crawl_progress_bar_on_a_terminal_is_chinese(simulator, crawl_config):
    """The bar counts requests, with an ETA, in Chinese words."""
    simulator.set_now(SIM_NOW)
    data = sample_data()
    for department in data["departments"]:
        department["accounts"] = [a for a in department["accounts"] if a["platform"] == "weibo"]
    config = crawl_config(data)
    env = child_env({**SIM_ENV, "TERM": "xterm-256color"})
    code, text = run_on_terminal([*CLI, "crawl", "-c", str(config), *NOW], env)
    assert code == 0
    shown = re.findall(r"请求 (\d+)/(~\d+|\?) · 账号 \d+/\d+ · 预计剩余 (\S+)", text)
    assert shown, text[-2000:]
    assert "正在采集" in text
    assert any(total.startswith("~") for _d, total, _e in shown)
    assert any(re.fullmatch(r"\d+:\d\d:\d\d", eta) for _d, _t, eta in shown)
    assert "requests" not in text


def test_crawl_help_says_what_it_includes_and_skips_in_both_languages():
    """The closed accounts a crawl includes and the accounts it skips, as README.md says."""
    readme = " ".join((Path(__file__).parent.parent / "README.md").read_text("utf-8").split())
    chinese = "".join(zh("crawl", "--help").output.split())  # Chinese wraps between characters
    assert "已关停和关停中的账号也会采集" in chinese or "已关停的账号也会采集" in chinese
    assert "违规复开" in chinese and "人工报送的账号" in chinese and "已停用来源的账号" in chinese
    assert "已关停的账号也会采集" in readme and "关停中的账号也一样" in readme
    assert "跳过的只有人工报送的账号" in readme and "已停用来源的账号" in readme
    english = " ".join(
        CliRunner()
        .invoke(main, ["--lang", "en", "crawl", "--help"], terminal_width=200)
        .output.split()
    )
    for text in (english, readme):
        assert "and so are closing ones" in text
        assert (
            "manual-source accounts, left to `govmedia observe`, and the accounts of a source"
            in text
        )
        assert "switched off (`sources.<name>.enabled: false`)" in text


# ---------------------------------------------------------------------------------------------
# simulate


def test_simulate_speaks_chinese_and_stops_on_sigterm(tmp_path, sample_config):
    child = subprocess.Popen(
        [*CLI, "simulate", "-c", str(sample_config), "--port", "0", *NOW],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    assert child.stdout is not None
    first = child.stdout.readline()
    assert first.startswith("模拟平台地址：http://127.0.0.1:"), first
    assert "（时钟：2026-11-28T09:00:00+08:00）" in first
    lines = [first]
    while lines[-1] and not lines[-1].startswith("或扫码登录"):  # the accounts, how to log in
        lines.append(child.stdout.readline())
    assert lines[-1].startswith("或扫码登录：运行 govmedia login wechat -c CONFIG，再打开 "), lines
    child.send_signal(signal.SIGTERM)
    _out, err = child.communicate(timeout=30)
    assert "已停止" in err


def test_simulate_on_a_busy_port_is_refused_in_chinese(simulator, sample_config):
    port = simulator.url.rsplit(":", 1)[1].strip("/")
    done = govmedia_zh("simulate", "-c", str(sample_config), "--port", port, timeout=60)
    assert done.returncode == 2
    assert f"无法在 127.0.0.1:{port} 上监听" in done.stderr
    english = govmedia_zh("--lang", "en", "simulate", "-c", str(sample_config), "--port", port)
    assert f"cannot listen on 127.0.0.1:{port}" in english.stderr


# ---------------------------------------------------------------------------------------------
# observe


def test_observe_records_in_chinese(sample_config):
    args = ["observe", "-c", str(sample_config), "xzf-toutiao", "--last-post", "2026-11-27T18:30"]
    result = zh(*args, "--at", "2026-11-28T09:00", "--posts-this-week", "3", "--by", "李明")
    assert result.exit_code == 0, result.output
    assert re.search(
        r"已记录观测 \d+：xzf-toutiao 最新发文 2026-11-27 18:30，本周发文 3 条，李明 于 "
        r"2026-11-28 09:00 查看",
        result.output,
    ), result.output


def test_observe_of_a_closed_account_warns_in_chinese(sample_config):
    args = ["observe", "-c", str(sample_config), "scjgj-weibo", "--last-post", "2026-11-27T18:30"]
    result = zh(*args, "--at", "2026-11-28T09:00", "--by", "李明")
    assert result.exit_code == 0, result.output
    assert "警告：scjgj-weibo 在台账中已关停；仍予记录。" in result.output
    assert "提示：scjgj-weibo 平时由 weibo 采集程序核查" in result.output


def test_observe_refusals_are_chinese_and_english_on_request(sample_config):
    args = ["observe", "-c", str(sample_config), "xzf-toutiaoo", "--last-post", "2026-11-27"]
    result = zh(*args, "--at", "2026-11-28T09:00", "--by", "李明")
    assert result.exit_code == 2
    assert "错误：台账中没有账号 'xzf-toutiaoo'；是不是 xzf-toutiao？；未记录任何内容。" in (
        result.output
    )
    late = ["observe", "-c", str(sample_config), "xzf-toutiao", "--last-post", "2026-11-28T10:00"]
    result = zh(*late, "--at", "2026-11-28T09:00", "--by", "李明")
    assert result.exit_code == 2
    assert "晚于 --at 2026-11-28 09:00：发布之前不可能看到这条内容" in result.output
    english = CliRunner().invoke(main, ["--lang", "en", *args, "--by", "x"], env=CHINESE)
    assert "error: no account 'xzf-toutiaoo' in the ledger; did you mean xzf-toutiao?" in (
        english.output
    )


# ---------------------------------------------------------------------------------------------
# login wechat, login status


@pytest.fixture
def login_sim() -> Iterator[RunningSimulator]:
    """A simulator of its own: a login changes what its login system holds."""
    with start_simulator(World(anchor=SIM_NOW), port=0) as running:
        yield running


def start_login(path: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CLI, *extra, "login", "wechat", "-c", str(path), "--poll", "0.05", *NOW],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )


def test_qr_login_talks_chinese(login_sim, tmp_path):
    path = write_crawl_config(tmp_path, login_sim.url, WECHAT_LEDGER)
    child = start_login(path)
    uuid = wait_for_qr(login_sim, child)
    assert login_sim.world.logins.scan(uuid, account="博爱县人民政府")
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    assert f"二维码已保存到 {tmp_path / 'wechat-login-qr.png'}" in out
    assert "请在 300 秒内用微信扫码（须为该公众号的管理员）。" in out
    assert "已登录为 博爱县人民政府；会话已保存到" in out and "北京时间" in out

    status = govmedia_zh("login", "status", "--no-test", "-c", str(path), *NOW)
    assert status.returncode == 0, status.stderr
    assert "博爱县人民政府  来源：已保存的登录（" in status.stdout
    assert "来源：无；过期时间 未知；下次采集时获取访客 Cookie" in status.stdout  # Weibo
    english = govmedia_zh("--lang", "en", "login", "status", "--no-test", "-c", str(path), *NOW)
    assert "from stored (" in english.stdout and "visitor cookies are fetched" in english.stdout


def test_a_cancelled_qr_login_is_a_chinese_error(login_sim, tmp_path):
    path = write_crawl_config(tmp_path, login_sim.url, WECHAT_LEDGER)
    child = start_login(path)
    uuid = wait_for_qr(login_sim, child)
    assert login_sim.world.logins.scan(uuid, confirm=False)
    _out, err = child.communicate(timeout=60)
    assert child.returncode == 1
    assert "错误：已在手机上取消登录" in err

    english = start_login(path, "--lang", "en")
    uuid = wait_for_qr(login_sim, english)
    assert login_sim.world.logins.scan(uuid, confirm=False)
    _out, err = english.communicate(timeout=60)
    assert english.returncode == 1 and "error: the login was cancelled on the phone" in err


def test_login_status_without_a_login_names_the_command_in_chinese(sample_config):
    result = zh("login", "status", "--no-test", "-c", str(sample_config), *NOW)
    assert result.exit_code == 1
    assert re.search(
        r"wechat\s+none\s+来源：无；过期时间 未知；请运行 `govmedia login wechat`", result.output
    )


# ---------------------------------------------------------------------------------------------
# discover, discover dismiss


@pytest.fixture(scope="module")
def search_platform() -> Iterator[RunningSimulator]:
    config = load_config(SAMPLE, today=SIM_NOW.date()).config
    world = World.from_config(config, SIM_NOW)
    add_discoverable(world, config)
    with start_simulator(world, port=0) as running:
        yield running


def test_a_sweep_and_its_candidates_in_chinese(search_platform, tmp_path):
    path = write_crawl_config(tmp_path, search_platform.url)
    done = govmedia_zh("discover", "-c", str(path), *NOW, env=SIM_ENV)
    assert done.returncode == 0, done.stderr[-2000:]
    assert re.search(r"^\d+ 次搜索，\d+ 次请求$", done.stdout, re.M), done.stdout
    assert re.search(r"^疑似未报备 weibo 7100000001 .*（关键词 .+）：", done.stdout, re.M)
    assert re.search(r"新增候选 \d+ 个，再次发现 0 个，此前已排除 0 个（不列出）", done.stdout)

    listed = zh("discover", "--list", "-c", str(path))
    assert listed.exit_code == 0
    line = next(x for x in listed.output.splitlines() if "7100000001" in x)
    assert "疑似未报备" in line
    candidate = line.split()[0]
    dismissed = zh(
        "discover", "dismiss", candidate, "--reason", "另行登记", "--by", "李娜", "-c", str(path)
    )
    assert dismissed.exit_code == 0, dismissed.output
    assert (
        f"已排除候选 {candidate}（" in dismissed.output
        and "排除人 李娜：另行登记" in dismissed.output
    )
    again = zh("discover", "dismiss", candidate, "--reason", "x", "-c", str(path))
    assert again.exit_code == 1
    assert f"错误：候选 {candidate} 已是 dismissed 状态（处理人 李娜）" in again.output
    listed = zh("discover", "--list", "--all", "-c", str(path))
    assert " [dismissed，李娜]" in listed.output


def test_discover_refusals_and_the_manual_sweep_in_chinese(sample_config):
    config = ["-c", str(sample_config)]
    result = zh("discover", "--source", "douyin", *config)
    assert result.exit_code == 2
    assert (
        "无法搜索 douyin；请用 weibo, wechat, bilibili，或用 --manual 登记人工排查" in result.output
    )
    result = zh("discover", "--manual", "--source", "douyin", "--note", "x", *config)
    assert result.exit_code == 2 and "请写明排查人，例如 --by 李娜" in result.output
    result = zh("discover", "--list", *config)
    assert result.exit_code == 0 and "没有待处理的候选账号" in result.output
    result = zh("discover", "dismiss", "99", "--reason", "x", *config)
    assert result.exit_code == 1
    assert "错误：没有候选 99；候选账号见 `govmedia discover --list`" in result.output
    note = ["--note", "搜索博爱县，无新增"]
    result = zh("discover", "--manual", "--source", "douyin", "--by", "李娜", *note, *config)
    assert result.exit_code == 0, result.output
    assert "已登记：李娜 排查了 douyin（" in result.output

    english = CliRunner().invoke(main, ["discover", "--list", "--lang", "en", *config], env=CHINESE)
    assert "no candidates waiting for a decision" in english.output
