"""`govmedia demo` shows the life of cases (整改跟踪): cases open from the simulated problems, one
is answered, one closes itself after its account posts again, one goes overdue and is escalated,
and December's notice states 整改率 computed from the cases."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import SAMPLE_CONFIG


def test_the_demo_shows_a_case_answered_fixed_and_overdue_and_the_rate(tmp_path):
    folder = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVMEDIA_")}
    done = subprocess.run(
        [sys.executable, "-c", "from govmedia.cli import main; main()", "demo"]
        + ["-c", str(SAMPLE_CONFIG), "--dir", str(folder), "--now", "2026-11-28T09:00:00+08:00"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert (
        "case 20261128-scjgj-wechat-flagged answered by 吴敏: 已提交关停申请，待县政府办审批" in out
    )
    assert (
        "case 20261128-rsj-wechat-veto closed itself (单项否决): 复核：合格，已恢复更新, "
        "verdict ok at 2026-12-07 09:00" in out
    )
    assert "case 20261128-zrzyj-web-gsgg-veto overdue (单项否决, deadline 2026-12-04)" in out
    notice = folder / "out" / "notices" / "2026-12" / "notice.html"
    assert f"notice report 2026-12: {folder / 'out' / 'notices' / '2026-12' / 'notice.docx'}" in out

    listed = subprocess.run(
        [sys.executable, "-c", "from govmedia.cli import main; main()", "cases", "--json"]
        + ["-c", str(folder / "config.yaml")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    cases = {c["id"]: c for c in json.loads(listed.stdout)}
    assert cases["20261128-rsj-wechat-veto"]["state"] == "closed"
    assert cases["20261128-zrzyj-web-gsgg-veto"]["state"] == "overdue"
    assert cases["20261128-scjgj-wechat-flagged"]["responses"][0]["by"] == "吴敏"
    # 整改率 as the notice states it, from the records: cases due in December, those closed.
    due = [c for c in cases.values() if c["deadline"].startswith("2026-12")]
    fixed = [c for c in due if c["state"] == "closed" and c["closed_at"] < "2027-01-01T00"]
    assert due and fixed
    rate = f"{len(fixed) / len(due) * 100:.1f}%"
    html = notice.read_text(encoding="utf-8")
    assert f"本期整改期限届满的问题{len(due)}件，已整改销号{len(fixed)}件，整改率{rate}。" in html
