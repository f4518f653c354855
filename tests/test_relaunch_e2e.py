"""A closed account that posts again is caught end to end: crawl → check → relaunched alert.

The simulator gives an identifier that starts with a profile name that profile, so a closed
Weibo account with uid `daily-relaunch` keeps posting after its deregistration.
"""

from __future__ import annotations

import json

from spiders.simulator import RunningSimulator
from tests.fixtures.simulator import SIM_ENV, SIM_NOW, govmedia


def _ledger(uid: str) -> dict:
    return {
        "jurisdiction": "博爱县",
        "departments": [
            {
                "id": "xzf",
                "name": "博爱县人民政府办公室",
                "level": "county",
                "accounts": [
                    {
                        "id": "old-weibo",
                        "name": "博爱旧微博",
                        "platform": "weibo",
                        "uid": uid,
                        "owner": {"name": "李明", "phone": "13903910002"},
                        "opened_on": "2015-01-01",
                        "filed_on": "2015-02-01",
                        "status": "closed",
                        "closure": {
                            "reason": "合并运营",
                            "approved_on": "2026-06-01",
                            "notice_on": "2026-06-03",
                            "deregistered_on": "2026-07-01",
                            "filed_on": "2026-07-03",
                            "certificate": "博政媒关〔2026〕9号",
                        },
                    }
                ],
            }
        ],
    }


def _crawl_and_check(crawl_config, uid: str) -> dict:
    path = crawl_config(_ledger(uid))
    crawled = govmedia(
        "crawl", "--json", "-c", str(path), "--now", SIM_NOW.isoformat(), env=SIM_ENV
    )
    assert crawled.returncode == 0, crawled.stderr[-2000:]
    checked = govmedia("check", "--json", "-c", str(path), "--at", SIM_NOW.isoformat())
    assert checked.returncode == 0, checked.stderr[-2000:]
    (verdict,) = json.loads(checked.stdout)
    return verdict


def test_a_closed_account_posting_again_is_relaunched(simulator: RunningSimulator, crawl_config):
    simulator.set_now(SIM_NOW)
    verdict = _crawl_and_check(crawl_config, "daily-relaunch")
    assert verdict["status"] == "exempt"
    assert "违规复开" in verdict["rule"]


def test_a_deregistered_account_that_is_gone_is_not_relaunched(
    simulator: RunningSimulator, crawl_config
):
    simulator.set_now(SIM_NOW)
    verdict = _crawl_and_check(crawl_config, "deleted-gone")
    assert verdict["status"] == "exempt"
    assert "违规复开" not in verdict["rule"]
