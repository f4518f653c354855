"""`govmedia diff` says what a change to the ledger does."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from govmedia.cli import main
from registry.config import validate_text
from registry.constants import LedgerChange
from registry.ledger_diff import diff_ledgers, render_text
from registry.models import Config
from tests.conftest import SAMPLE_CONFIG, TODAY

SAMPLE = SAMPLE_CONFIG.read_text("utf-8")

NEW_ACCOUNT = """\
      - id: gaj-toutiao
        name: 博爱公安
        platform: toutiao
        owner: {name: 陈静, phone: "13903910012"}
        opened_on: 2026-11-20
        filed_on: 2026-11-25
        exception_basis: 公安机关依法开设
"""


def config(text: str) -> Config:
    return validate_text(text.encode(), source_name="config.yaml", today=TODAY).config


def edited() -> str:
    """A department's edit touching every kind of change."""
    text = SAMPLE
    # registered
    text = text.replace("\n  - id: jyj\n", "\n" + NEW_ACCOUNT + "\n  - id: jyj\n", 1)
    # closing: an active account approved for closure
    text = text.replace(
        "        exception_basis: 乡镇政务服务需要，县政府批复〔2019〕41号\n\n  - id: rmt",
        "        exception_basis: 乡镇政务服务需要，县政府批复〔2019〕41号\n"
        "        status: closing\n        closure: {reason: 并入清化镇发布, approved_on: 2026-11-27}\n"
        "\n  - id: rmt",
    )
    # closed: the closing account completes its closure
    text = text.replace(
        "          notice_on: 2026-11-05\n",
        "          notice_on: 2026-11-05\n          deregistered_on: 2026-11-20\n"
        "          filed_on: 2026-11-25\n          certificate: 博政媒关〔2026〕5号\n",
    ).replace(
        "        status: closing\n        closure:\n          reason: 无力",
        "        status: closed\n        closure:\n          reason: 无力",
    )
    # reopened: the closed account is active again
    text = text.replace(
        "        status: closed\n        closure:\n          reason: 连续多周未更新，经批准关停",
        "        closure:\n          reason: 连续多周未更新，经批准关停",
    )
    # changed: a new owner
    text = text.replace(
        'owner: {name: 张伟, phone: "13903910011"}\n        opened_on: 2012-11-09',
        'owner: {name: 李强, phone: "13903910019"}\n        opened_on: 2012-11-09',
    )
    # removed
    text = text.replace(
        text[
            text.index("      - id: rmt-weibo") : text.index(
                "        exception_basis: 县级融媒体中心依职能开设",
                text.index("      - id: rmt-weibo"),
            )
            + len("        exception_basis: 县级融媒体中心依职能开设\n")
        ],
        "",
    )
    # a setting
    text = text.replace("  veto_after_days: 14 ", "  veto_after_days: 10 ")
    return text


def test_every_kind_of_change():
    diff = diff_ledgers(config(SAMPLE), config(edited()))
    kinds = {change.account: change.change for change in diff.accounts}
    assert kinds == {
        "gaj-toutiao": LedgerChange.REGISTERED,
        "gaj-weibo": LedgerChange.CHANGED,
        "wjw-weibo": LedgerChange.CLOSED,
        "scjgj-weibo": LedgerChange.REOPENED,
        "xlz-wechat": LedgerChange.CLOSING,
        "rmt-weibo": LedgerChange.REMOVED,
    }
    changed = next(c for c in diff.accounts if c.account == "gaj-weibo")
    assert [(f.field, f.old, f.new) for f in changed.fields] == [
        ("owner.name", "张伟", "李强"),
        ("owner.phone", "13903910011", "13903910019"),
    ]
    assert [(s.field, s.old, s.new) for s in diff.settings] == [("policy.veto_after_days", 14, 10)]


def test_text_rendering():
    lines = render_text(diff_ledgers(config(SAMPLE), config(edited())))
    assert lines == [
        "changed     gaj-weibo    博爱公安 (weibo, gaj)",
        "                         owner.name: 张伟 → 李强",
        "                         owner.phone: 13903910011 → 13903910019",
        "registered  gaj-toutiao  博爱公安 (toutiao, gaj)",
        "closed      wjw-weibo    健康博爱 (weibo, wjw): closing → closed",
        "                         closure.deregistered_on: (none) → 2026-11-20",
        "                         closure.filed_on: (none) → 2026-11-25",
        "                         closure.certificate: (none) → 博政媒关〔2026〕5号",
        "reopened    scjgj-weibo  博爱市场监管 (weibo, scjgj): closed → active",
        "closing     xlz-wechat   许良镇发布 (wechat, xlz): active → closing",
        "                         closure.reason: (none) → 并入清化镇发布",
        "                         closure.approved_on: (none) → 2026-11-27",
        "removed     rmt-weibo    博爱融媒 (weibo, rmt)",
        "setting policy.veto_after_days: 14 → 10",
        "1 registered, 1 changed, 1 closing, 1 closed, 1 reopened, 1 removed",
    ]


def test_no_change():
    assert render_text(diff_ledgers(config(SAMPLE), config(SAMPLE))) == ["no change to the ledger"]


def test_departments():
    text = SAMPLE.replace(
        "    name: 博爱县融媒体中心\n", "    name: 博爱县融媒体中心（县广播电视台）\n"
    )
    text += "\n  - id: tjj\n    name: 博爱县统计局\n    level: department\n"
    diff = diff_ledgers(config(SAMPLE), config(text))
    assert [(d.department, d.change) for d in diff.departments] == [
        ("rmt", "changed"),
        ("tjj", "added"),
    ]
    assert diff.departments[0].fields[0].new == "博爱县融媒体中心（县广播电视台）"


def test_command_json_and_problems(tmp_path: Path):
    old, new, bad = tmp_path / "old.yaml", tmp_path / "new.yaml", tmp_path / "bad.yaml"
    old.write_text(SAMPLE, "utf-8")
    new.write_text(edited(), "utf-8")
    bad.write_text(SAMPLE.replace("platform: bilibili", "platform: bilbili", 1), "utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["diff", str(old), str(new), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert {a["account"]: a["change"] for a in out["accounts"]}["wjw-weibo"] == "closed"
    assert out["settings"] == [{"field": "policy.veto_after_days", "old": 14, "new": 10}]
    text = runner.invoke(main, ["diff", str(old), str(new)])
    assert text.stdout.splitlines()[0] == "changed     gaj-weibo    博爱公安 (weibo, gaj)"
    failed = runner.invoke(main, ["diff", str(old), str(bad)])
    assert failed.exit_code == 2
    assert "'bilbili' is not one of" in failed.output and "did you mean bilibili?" in failed.output
    assert "cannot compare: fix the problems above" in failed.output
