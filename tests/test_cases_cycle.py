"""Cases end to end: whole cycles (`govmedia run`, a child crawl of the simulated platforms) open
a case per problem and mail its owner through a real SMTP server; the account that posts again has
its case closed by the next check, naming the verdict; the other goes overdue and is escalated
once to the unit and the supervisors; the CLI lists, answers and closes them."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from registry.constants import LOCAL_TZ, Source
from spiders.simulator.world import Profile, SimAccount
from tests.fixtures.simulator import SIM_ENV, SIM_NOW, govmedia

LATER = dt.datetime(2026, 12, 7, 9, 0, tzinfo=LOCAL_TZ)  # past the veto cases' 12-04 deadline
FIXED_UID = "silent_20d-cases-fixed"  # silent 20 days at SIM_NOW: veto; then posts again
LATE_UID = "silent_20d-cases-late"  # silent 20 days, and stays so


def _account(account_id: str, uid: str, owner: dict[str, str]) -> dict[str, Any]:
    return {
        "id": account_id,
        "name": f"博爱{account_id}",
        "platform": "weibo",
        "uid": uid,
        "owner": owner,
        "opened_on": "2019-03-01",
        "filed_on": "2019-03-05",
        "supervised": {"national": True, "provincial": True},
    }


def _ledger(smtp_port: int) -> dict[str, Any]:
    return {
        "jurisdiction": "博爱县",
        "logging": {"file": "govmedia.log"},
        "output_dir": "out",
        "reports": {"formats": ["md"]},
        "schedule": {"notice": None},
        "notify": {
            "channels": [
                {
                    "id": "mail",
                    "kind": "email",
                    "host": "127.0.0.1",
                    "port": smtp_port,
                    "security": "none",
                    "sender": "govmedia@boai.gov.cn",
                }
            ],
            "supervisors": [{"name": "县政府办电子政务科", "email": "zwgk@boai.gov.cn"}],
        },
        "departments": [
            {
                "id": "gaj",
                "name": "博爱县公安局",
                "level": "county",
                "contact": {
                    "name": "张伟",
                    "phone": "13903910009",
                    "email": "zhangwei@boai.gov.cn",
                },
                "accounts": [
                    _account(
                        "gaj-fixed",
                        FIXED_UID,
                        {"name": "李明", "phone": "13903910002", "email": "liming@boai.gov.cn"},
                    ),
                    _account(
                        "gaj-late",
                        LATE_UID,
                        {"name": "王芳", "phone": "13903910003", "email": "wangfang@boai.gov.cn"},
                    ),
                ],
            }
        ],
    }


@pytest.fixture
def posts_again(sim_clock):
    """Make FIXED_UID post daily on the session's simulator; undone after the test."""
    key = (Source.WEIBO, FIXED_UID)
    world = sim_clock.world

    def start() -> None:
        world.add(SimAccount(Source.WEIBO, FIXED_UID, "博爱gaj-fixed", Profile.DAILY))

    yield start
    world.accounts.pop(key, None)


def _run(path, now: dt.datetime, *extra: str) -> dict[str, Any]:
    done = govmedia("run", "--json", "--now", now.isoformat(), "-c", str(path), *extra, env=SIM_ENV)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def _cases(path) -> dict[str, dict[str, Any]]:
    listed = govmedia("cases", "--json", "-c", str(path))
    assert listed.returncode == 0, listed.stderr
    return {c["account"]: c for c in json.loads(listed.stdout)}


def test_a_case_opens_is_mailed_closes_itself_and_another_escalates_once(
    sim_clock, crawl_config, smtp_factory, posts_again, no_proxy
):
    mail = smtp_factory(mode="plain")
    path = crawl_config(_ledger(mail.port))
    sim_clock.set_now(SIM_NOW)

    first = _run(path, SIM_NOW)
    assert first["statuses"] == {"veto": 2}
    cases = _cases(path)
    assert {a: (c["kind"], c["state"], c["deadline"]) for a, c in cases.items()} == {
        "gaj-fixed": ("veto", "open", "2026-12-04"),
        "gaj-late": ("veto", "open", "2026-12-04"),
    }
    opened = [m for m in mail.received if m.subject.startswith("【整改通知】")]
    assert sorted(m.rcpt_tos[0] for m in opened) == ["liming@boai.gov.cn", "wangfang@boai.gov.cn"]
    to_li = next(m for m in opened if m.rcpt_tos == ["liming@boai.gov.cn"])
    assert (
        to_li.subject
        == "【整改通知】博爱县公安局「博爱gaj-fixed」：单项否决，请于2026年12月4日前整改"
    )
    assert "整改期限：2026年12月4日（工作日计算）" in to_li.body
    assert cases["gaj-fixed"]["id"] in to_li.body

    # The late account's owner answers; the answer does not stop the deadline.
    late_id = cases["gaj-late"]["id"]
    answered = govmedia(
        "cases", "respond", late_id, "--note", "已安排专人更新", "--by", "王芳", "-c", str(path)
    )
    assert answered.returncode == 0, answered.stderr
    assert answered.stdout.strip() == f"{late_id}: responded (王芳)"

    posts_again()
    sim_clock.set_now(LATER)
    second = _run(path, LATER)
    assert second["statuses"] == {"ok": 1, "veto": 1}
    cases = _cases(path)
    fixed = cases["gaj-fixed"]
    assert fixed["state"] == "closed"
    assert fixed["closed_by"] == "govmedia"
    closing = fixed["events"][-1]
    assert closing["verdict_status"] == "ok"
    assert dt.datetime.fromisoformat(closing["verdict_at"]) == LATER
    assert cases["gaj-late"]["state"] == "overdue"
    assert [e["action"] for e in cases["gaj-late"]["events"]] == ["opened", "responded", "overdue"]

    escalated = [m for m in mail.received if m.subject.startswith("【逾期未整改】")]
    assert sorted(m.rcpt_tos[0] for m in escalated) == ["zhangwei@boai.gov.cn", "zwgk@boai.gov.cn"]
    assert "责任人已反馈，但复核仍未整改" in escalated[0].body
    assert not any(m.rcpt_tos == ["liming@boai.gov.cn"] for m in escalated)

    # Cycles after it: nothing new is recorded or sent.
    sent = len(mail.received)
    third = _run(path, LATER + dt.timedelta(hours=8), "--skip-crawl")
    assert third["notifications"]["queued"] == 0
    assert len(mail.received) == sent
    assert _cases(path)["gaj-late"]["events"] == cases["gaj-late"]["events"]
