"""Platform logins end to end against the simulated platforms: Weibo visitor cookies from the
visitor passport, the WeChat MP QR login and its stored sessions, `login status`, and the login
health reminders of the cycle."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from registry import credentials
from registry.constants import LOCAL_TZ
from spiders.simulator import RunningSimulator, World, start_simulator
from tests.fixtures.cycle import wait_for
from tests.fixtures.simulator import SIM_NOW, govmedia, write_crawl_config
from tests.test_crawl_faults import ledger, wechat, weibo

VISITOR_LEDGER = ledger(
    [
        weibo("wb-v1", "visitor-v1"),
        weibo("wb-v2", "visitor-v2"),
        weibo("wb-v3", "visitor-v3"),
        weibo("wb-daily", "daily-v1"),
        weibo("wb-login", "auth_expired-v1"),
    ]
)


@pytest.fixture
def sim() -> Iterator[RunningSimulator]:
    """A simulator of its own: these tests change what its login systems answer."""
    with start_simulator(World(anchor=SIM_NOW), port=0) as running:
        yield running


def crawl(path: Path, env: dict[str, str] | None = None) -> tuple[dict[str, Any], str]:
    done = govmedia("crawl", "--json", "-c", str(path), "--now", SIM_NOW.isoformat(), env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    return {r["account"]: r for r in json.loads(done.stdout)}, done.stdout + done.stderr


def store_text(path: Path) -> str:
    with sqlite3.connect(path.parent / "govmedia.sqlite3") as conn:
        rows = conn.execute("select detail, url from observations").fetchall()
    return json.dumps(rows, ensure_ascii=False)


# ---------------------------------------------------------------------------------------------
# Weibo visitor cookies


def test_visitor_redirect_gets_visitor_cookies_and_the_accounts_are_crawled(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    path = write_crawl_config(
        tmp_path, sim.url, VISITOR_LEDGER, sources={"weibo": {"concurrency": 3}}
    )
    found, output = crawl(path)
    assert {a: found[a]["outcome"] for a in found} == {
        "wb-v1": "ok",
        "wb-v2": "ok",
        "wb-v3": "ok",
        "wb-daily": "ok",
        "wb-login": "auth_expired",  # ok: -100 with visitor cookies too: it needs a real login
    }
    assert found["wb-v1"]["posts_seen"] > 0
    assert sim.server.hits["/visitor/genvisitor"] == 1  # once per crawl, the others waited
    assert sim.server.hits["/visitor/visitor"] == 1
    stored = tmp_path / credentials.FILE_NAME
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    visitor = credentials.load(stored).weibo_visitor
    assert visitor is not None and visitor.cookie.startswith("SUB=_2AkM")
    assert visitor.expires_at > SIM_NOW  # the SUB cookie's own expiry, a year on
    sub = visitor.cookie.split(";")[0].split("=", 1)[1]
    assert sub not in output and sub not in store_text(path)

    again, _ = crawl(path)  # the stored cookies are sent from the start: no passport request
    assert again["wb-v1"]["outcome"] == "ok"
    assert sim.server.hits["/visitor/genvisitor"] == 1


def test_where_the_two_step_flow_is_gone_the_one_step_genvisitor2_is_used(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    sim.world.logins.legacy_gone = True
    path = write_crawl_config(tmp_path, sim.url, VISITOR_LEDGER)
    found, _ = crawl(path)
    assert [found[a]["outcome"] for a in ("wb-v1", "wb-v2", "wb-v3")] == ["ok"] * 3
    assert sim.server.hits["/visitor/genvisitor2"] == 1
    assert sim.server.hits["/visitor/visitor"] == 0
    assert credentials.load(tmp_path / credentials.FILE_NAME).weibo_visitor is not None


def test_visitor_passport_refusing_is_an_expired_login(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    sim.world.logins.visitor_refuse = True
    path = write_crawl_config(tmp_path, sim.url, VISITOR_LEDGER)
    found, _ = crawl(path)
    assert found["wb-v1"]["outcome"] == "auth_expired"
    assert "no visitor cookies: the visitor passport refused" in found["wb-v1"]["detail"]
    assert found["wb-v2"]["outcome"] == "auth_expired"
    assert found["wb-daily"]["outcome"] == "ok"
    assert sim.server.hits["/visitor/genvisitor"] == 1  # not asked again in the same crawl
    assert not (tmp_path / credentials.FILE_NAME).exists()


def test_configured_weibo_cookie_wins_over_visitor_cookies(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    path = write_crawl_config(tmp_path, sim.url, VISITOR_LEDGER)
    found, output = crawl(path, env={"GOVMEDIA_WEIBO_COOKIE": "SUB=configured-login-cookie"})
    assert found["wb-v1"]["outcome"] == "auth_expired"
    assert found["wb-daily"]["outcome"] == "ok"
    assert sim.server.hits["/visitor/genvisitor"] == 0
    assert sim.server.hits["/visitor/visitor"] == 0
    assert "configured-login-cookie" not in output


# ---------------------------------------------------------------------------------------------
# WeChat QR login


WECHAT_LEDGER = ledger(
    [
        wechat("wx-1", "daily-q1"),
        wechat("wx-2", "weekly-q2"),
        wechat("wx-3", "daily-q3"),
        wechat("wx-4", "daily-q4"),
        weibo("wb-daily", "daily-q5"),
    ]
)
LOGIN_ENV: dict[str, str] = {}  # no GOVMEDIA_ variable: the stored session is the login


def start_login(path: Path, *extra: str) -> subprocess.Popen[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("GOVMEDIA_")}
    command = [sys.executable, "-c", "from govmedia.cli import main; main()"]
    return subprocess.Popen(
        [*command, "login", "wechat", "-c", str(path), "--poll", "0.05", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=base,
    )


def wait_for_qr(sim: RunningSimulator, child: subprocess.Popen[str]) -> str:
    """The uuid of the QR code the login is showing (polled: the child starts it)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pending = sim.world.logins.pending()
        if pending:
            return pending[-1]
        assert child.poll() is None, child.communicate()
        time.sleep(0.02)
    raise AssertionError("the login never asked for a QR code")


def qr_login(sim: RunningSimulator, path: Path, account: str = "博爱县人民政府") -> str:
    child = start_login(path, "--now", SIM_NOW.isoformat())
    uuid = wait_for_qr(sim, child)
    assert sim.world.logins.scan(uuid, account=account)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    return out + err


def test_qr_login_stores_a_session_the_next_crawl_uses(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    path = write_crawl_config(tmp_path, sim.url, WECHAT_LEDGER)
    before, _ = crawl(path, env=LOGIN_ENV)
    assert before["wx-1"]["outcome"] == "auth_expired"
    assert "govmedia login wechat" in before["wx-1"]["detail"]

    output = qr_login(sim, path)
    assert "logged in as 博爱县人民政府" in output
    qr = tmp_path / "wechat-login-qr.png"
    assert qr.read_bytes().startswith(b"\x89PNG")
    assert "█" in output  # drawn in the terminal too
    stored = tmp_path / credentials.FILE_NAME
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    (session,) = credentials.load(stored).wechat
    assert session.account == "博爱县人民政府"
    assert session.expires_at is not None
    assert (session.expires_at - SIM_NOW).total_seconds() == 84 * 3600  # slave_user's expiry
    assert session.token not in output and session.cookie.split("; ")[1] not in output
    assert "token" not in (tmp_path / "config.yaml").read_text(encoding="utf-8")

    after, logs = crawl(path, env=LOGIN_ENV)  # a new process, no restart of anything needed
    assert {after[a]["outcome"] for a in ("wx-1", "wx-2", "wx-3", "wx-4")} == {"ok"}
    assert session.token not in logs and session.token not in store_text(path)

    # The weekly report's 数据源状态: last successful crawl, login state and expiry.
    at = ["--now", SIM_NOW.isoformat(), "--week", "2026-W47", "--json"]
    done = govmedia("report", "weekly", "-c", str(path), *at, env=LOGIN_ENV)
    assert done.returncode == 0, done.stderr
    html = next(tmp_path.glob("out/weekly/2026-W47/report.html")).read_text(encoding="utf-8")
    section = html[html.index('<section id="sources">') :]
    section = section[: section.index("</section>")]
    assert "微信公众平台" in section and "扫码登录（博爱县人民政府）" in section
    assert "2026-12-01 21:00" in section  # the session's expiry
    assert "2026-11-28 09:00" in section  # the last successful crawl
    assert session.token not in html


def test_qr_login_says_when_the_code_is_scanned_and_waits_for_the_confirmation(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    path = write_crawl_config(tmp_path, sim.url, WECHAT_LEDGER)
    child = start_login(path)
    uuid = wait_for_qr(sim, child)
    assert sim.world.logins.scan(uuid, confirm=None)  # scanned, not yet confirmed (status 4)
    asked = len(sim.requests("action=ask"))
    wait_for(lambda: len(sim.requests("action=ask")) >= asked + 2, what="two more asks")
    assert child.poll() is None  # still waiting for the phone
    assert sim.world.logins.scan(uuid)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    assert out.index("scanned: confirm the login on the phone") < out.index("logged in as")


@pytest.mark.parametrize(("cancel", "message"), [(False, "expired"), (True, "cancelled")])
def test_qr_login_expired_or_cancelled_stores_nothing(
    sim: RunningSimulator, tmp_path: Path, cancel: bool, message: str
) -> None:
    path = write_crawl_config(tmp_path, sim.url, WECHAT_LEDGER)
    child = start_login(path)
    uuid = wait_for_qr(sim, child)
    if cancel:
        assert sim.world.logins.scan(uuid, confirm=False)
    else:
        sim.set_now(SIM_NOW + dt.timedelta(minutes=6))  # the code lasts five minutes
    _, err = child.communicate(timeout=60)
    assert child.returncode == 1
    assert message in err
    assert not (tmp_path / credentials.FILE_NAME).exists()


def test_expired_stored_session_is_an_expired_login_naming_the_command(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    path = write_crawl_config(tmp_path, sim.url, WECHAT_LEDGER)
    qr_login(sim, path)
    later = SIM_NOW + dt.timedelta(days=4)
    sim.set_now(later)
    done = govmedia("crawl", "--json", "-c", str(path), "--now", later.isoformat(), env=LOGIN_ENV)
    found = {r["account"]: r for r in json.loads(done.stdout)}
    assert found["wx-1"]["outcome"] == "auth_expired"
    assert "stored WeChat login expired" in found["wx-1"]["detail"]
    assert sim.world.logins.served == {}  # not asked with a session known to be over


def test_environment_login_wins_over_the_stored_one(sim: RunningSimulator, tmp_path: Path) -> None:
    from spiders.simulator import SIMULATOR_WECHAT_COOKIE, SIMULATOR_WECHAT_TOKEN

    path = write_crawl_config(tmp_path, sim.url, WECHAT_LEDGER)
    qr_login(sim, path)
    env = {
        "GOVMEDIA_WECHAT_TOKEN": SIMULATOR_WECHAT_TOKEN,
        "GOVMEDIA_WECHAT_COOKIE": SIMULATOR_WECHAT_COOKIE,
    }
    found, _ = crawl(path, env=env)
    assert found["wx-1"]["outcome"] == "ok"
    assert set(sim.world.logins.served) == {SIMULATOR_WECHAT_TOKEN}


def test_several_logins_share_the_accounts_and_freq_control_drops_one(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    path = write_crawl_config(
        tmp_path, sim.url, WECHAT_LEDGER, sources={"wechat": {"concurrency": 1}}
    )
    qr_login(sim, path, account="博爱县人民政府")
    qr_login(sim, path, account="博爱县公安局")
    sessions = credentials.load(tmp_path / credentials.FILE_NAME).wechat
    assert [s.account for s in sessions] == ["博爱县人民政府", "博爱县公安局"]
    first, second = (s.token for s in sessions)

    found, _ = crawl(path, env=LOGIN_ENV)
    assert {found[a]["outcome"] for a in ("wx-1", "wx-2", "wx-3", "wx-4")} == {"ok"}
    assert sim.world.logins.served[first] > 0 and sim.world.logins.served[second] > 0

    sim.world.logins.served.clear()
    sim.world.logins.freq_limited.add(first)
    found, logs = crawl(path, env=LOGIN_ENV)
    assert {found[a]["outcome"] for a in ("wx-1", "wx-2", "wx-3", "wx-4")} == {"ok"}
    # 200013 to the first request (and to one already queued with it), then never asked again
    assert sim.world.logins.served[first] <= 2
    assert sim.world.logins.served[second] >= 4  # every account went through the other login
    assert "freq control" in logs and first not in logs


# ---------------------------------------------------------------------------------------------
# login status


def test_login_status_json_tests_each_login_live(sim: RunningSimulator, tmp_path: Path) -> None:
    path = write_crawl_config(tmp_path, sim.url, WECHAT_LEDGER)
    done = govmedia("login", "status", "--json", "-c", str(path), env=LOGIN_ENV)
    assert done.returncode == 1  # no WeChat login yet
    states = {(e["source"], e["state"]) for e in json.loads(done.stdout)}
    assert states == {("wechat", "none"), ("weibo", "untested")}

    qr_login(sim, path)
    crawl(path, env=LOGIN_ENV)  # a crawl of the visitor-less ledger stores no visitor cookies
    now = ["--now", SIM_NOW.isoformat()]
    done = govmedia("login", "status", "--json", "-c", str(path), *now, env=LOGIN_ENV)
    entries = {e["source"]: e for e in json.loads(done.stdout)}
    assert entries["wechat"]["state"] == "ok"
    assert entries["wechat"]["account"] == "博爱县人民政府"
    assert entries["wechat"]["origin"].startswith("stored (")
    assert entries["wechat"]["expires_at"] == "2026-12-01T21:00:00+08:00"
    (session,) = credentials.load(tmp_path / credentials.FILE_NAME).wechat
    assert session.token not in done.stdout and session.token not in done.stderr

    sim.world.logins.freq_limited.add(session.token)
    done = govmedia("login", "status", "--json", "-c", str(path), *now, env=LOGIN_ENV)
    assert {e["source"]: e["state"] for e in json.loads(done.stdout)}["wechat"] == "blocked"
    assert done.returncode == 1

    later = (SIM_NOW + dt.timedelta(days=4)).isoformat()
    done = govmedia("login", "status", "--json", "-c", str(path), "--now", later, env=LOGIN_ENV)
    entry = {e["source"]: e for e in json.loads(done.stdout)}["wechat"]
    assert entry["state"] == "expired" and "govmedia login wechat" in entry["detail"]


# ---------------------------------------------------------------------------------------------
# Login health in the cycle


def test_cycle_reminds_the_operators_before_and_at_expiry_once_a_day(
    sim: RunningSimulator, tmp_path: Path, smtp_factory: Any
) -> None:
    mail = smtp_factory(mode="plain")
    data = json.loads(json.dumps(WECHAT_LEDGER))
    data["notify"] = {
        "channels": [
            {
                "id": "mail",
                "kind": "email",
                "host": "127.0.0.1",
                "port": mail.port,
                "security": "none",
                "sender": "govmedia@boai.gov.cn",
            }
        ],
        "supervisors": [{"name": "电子政务科", "email": "zwgk@boai.gov.cn"}],
        "operators": [{"name": "运维值班", "email": "ops@boai.gov.cn"}],
        "login_warn_hours": 24,
    }
    data["schedule"] = {"notice": None}
    path = write_crawl_config(tmp_path, sim.url, data)
    stored = tmp_path / credentials.FILE_NAME
    qr_login(sim, path)  # against the simulator: a session of 84 hours
    (session,) = credentials.load(stored).wechat
    expires = dt.datetime(2026, 12, 1, 21, 0, tzinfo=LOCAL_TZ)
    assert session.expires_at == expires

    # The next cycle crawls with the stored session (nothing restarted, no variable set).
    run = govmedia("run", "--json", "--now", SIM_NOW.isoformat(), "-c", str(path))
    assert json.loads(run.stdout)["failed_sources"] == [], run.stderr
    assert json.loads(run.stdout)["outcomes"] == {"ok": 5}

    def cycle(at: dt.datetime) -> list[str]:
        before = len(mail.received)
        done = govmedia("run", "--skip-crawl", "--json", "--now", at.isoformat(), "-c", str(path))
        assert json.loads(done.stdout)["errors"] == [], done.stderr
        assert session.token not in done.stdout + done.stderr
        new = [m for m in mail.received[before:] if "登录" in m.subject]
        assert all(m.rcpt_tos == ["ops@boai.gov.cn"] for m in new)  # never the supervisors
        assert all("登录" not in m.subject for m in mail.received if "ops@" not in m.rcpt_tos[0])
        return [m.subject for m in new]

    hour = dt.timedelta(hours=1)
    assert cycle(expires - 30 * hour) == []
    [expiring] = cycle(expires - 20 * hour)
    assert expiring == "【测试县】登录即将过期：微信公众平台（博爱县人民政府）"
    body = next(m.body for m in mail.received if "登录" in m.subject)
    assert f"govmedia login wechat -c {path.resolve()}" in body
    assert "2026年12月1日 21:00" in body and session.token not in body
    assert cycle(expires - 19 * hour) == []  # once a day, never a flood
    [expired] = cycle(expires + hour)  # again at expiry
    assert expired.startswith("【测试县】登录已过期：")
    assert cycle(expires + 2 * hour) == []
    assert len(cycle(expires + 25 * hour)) == 1  # the next day's reminder

    # A new login (e.g. `govmedia login wechat`) stops the reminders at the next cycle.
    fresh = credentials.WechatSession(
        "博爱县人民政府",
        "1234567890",
        "slave_user=gh_x; slave_sid=bmV3",
        SIM_NOW,
        expires + dt.timedelta(days=5),
    )
    credentials.store_wechat(stored, fresh)
    assert cycle(expires + 49 * hour) == []


def test_an_unreadable_credentials_file_leaves_the_environment_login_working(
    sim: RunningSimulator, tmp_path: Path
) -> None:
    from spiders.simulator import SIMULATOR_WECHAT_COOKIE, SIMULATOR_WECHAT_TOKEN

    path = write_crawl_config(tmp_path, sim.url, WECHAT_LEDGER)
    (tmp_path / credentials.FILE_NAME).write_text("{not json", encoding="utf-8")
    env = {
        "GOVMEDIA_WECHAT_TOKEN": SIMULATOR_WECHAT_TOKEN,
        "GOVMEDIA_WECHAT_COOKIE": SIMULATOR_WECHAT_COOKIE,
    }
    found, output = crawl(path, env=env)
    assert {r["outcome"] for r in found.values()} == {"ok"}
    assert "not a credentials file" in output
    done = govmedia("login", "status", "-c", str(path), env=LOGIN_ENV)
    assert done.returncode == 1 and "not a credentials file" in done.stderr
