"""`govmedia demo`: the README's first command, offline, end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def test_the_demo_runs_a_full_cycle_offline_and_says_where_the_report_is(sample_config, tmp_path):
    folder = tmp_path / "demo"
    env_free = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GOVMEDIA_", "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"))
    }
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from govmedia.cli import main; main()",
            "demo",
            "-c",
            str(sample_config),
            "--dir",
            str(folder),
            "--now",
            "2026-11-28T09:00:00+08:00",
        ],
        capture_output=True,
        text=True,
        env=env_free,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert out.splitlines()[-1] == f"report: {folder / 'out' / 'index.html'}"
    assert (
        f"weekly report 2026-W47: {folder / 'out' / 'weekly' / '2026-W47' / 'report.html'}" in out
    )
    assert "僵尸账号 2  单项否决 2  预警 2  无法核验 6  合格 13  免检 3" in out
    assert "qhz-wechat" in out and "应申请关停" in out

    assert (folder / "out" / "index.html").exists()
    assert (folder / "out" / "weekly" / "2026-W47" / "report.html").exists()
    filings = folder / "out" / "filings"
    assert (filings / "index.html").exists()
    assert (filings / "qhz-wechat" / "qhz-wechat-application.docx").exists()
    assert (filings / "scjgj-wechat" / "scjgj-wechat-report.docx").exists()

    # The sweep before the cycle: its candidates are in the weekly report (疑似未报备账号).
    assert "discovery sweep: 42 searches, 4 candidates" in out
    md = (folder / "out" / "weekly" / "2026-W47" / "report.md").read_text(encoding="utf-8")
    section = md.split("## 疑似未报备账号", 1)[1].split("\n## ", 1)[0]
    assert "「博爱县退役军人事务局」（微博，7100000001）疑似未报备" in section
    assert "「博爱消防」（哔哩哔哩，3546000001）疑似未报备" in section
    assert "温县" not in section and "美食" not in section

    # The WeChat login is a stored QR session ending within notify.login_warn_hours (24) of
    # the demo's clock: the cycle's reminder to the operator is printed (no channel sends it),
    # and the weekly report's 数据源状态 says 即将过期.
    assert "WeChat login stored (QR login as 博爱县人民政府), expires 2026-11-28 21:00" in out
    reminder = out.split("reminder to the operator (运维值班):\n", 1)[1]
    assert reminder.startswith("【博爱县】登录即将过期：微信公众平台（博爱县人民政府）\n")
    assert "微信公众平台登录（博爱县人民政府）将于 2026年11月28日 21:00 过期" in reminder
    assert f"govmedia login wechat -c {folder / 'config.yaml'}" in reminder
    sources = md.split("## 数据源状态", 1)[1].split("\n## ", 1)[0]
    wechat = next(line for line in sources.splitlines() if "微信公众平台" in line)
    assert "即将过期" in wechat and "扫码登录（博爱县人民政府）" in wechat
    assert "2026-11-28 21:00" in wechat

    # The copy points at the simulator and sends nothing; the sample itself is untouched.
    copied = json.loads((folder / "config.yaml").read_text(encoding="utf-8"))
    assert copied["sources"]["wechat"]["base_url"].startswith("http://127.0.0.1:")
    assert copied["notify"] == {"operators": [{"name": "运维值班", "email": "ops@boai.gov.cn"}]}
    assert not (tmp_path / "data").exists()
    assert not (tmp_path / "out").exists()
    log = (folder / "data" / "govmedia.log").read_text(encoding="utf-8")
    assert 'msg="cycle done"' in log
    from registry.credentials import load

    (session, *_) = load(folder / "data" / "credentials.json").wechat
    assert session.token not in log and session.token not in md


def test_the_demo_runs_anywhere_on_the_sample_shipped_with_govmedia(tmp_path):
    """No config.yaml in the folder and no -c: the packaged sample ledger (the checkout's own)."""
    from govmedia.cli import SAMPLE_LEDGER
    from tests.conftest import SAMPLE_CONFIG

    assert SAMPLE_LEDGER.read_bytes() == SAMPLE_CONFIG.read_bytes()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVMEDIA_")}
    folder = tmp_path / "demo"
    done = subprocess.run(
        [sys.executable, "-c", "from govmedia.cli import main; main()", "demo"]
        + ["--dir", str(folder), "--now", "2026-11-28T09:00:00+08:00"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"using the sample ledger {SAMPLE_LEDGER}" in done.stderr
    assert done.stdout.splitlines()[-1] == f"report: {folder / 'out' / 'index.html'}"
