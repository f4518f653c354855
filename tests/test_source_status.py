"""The weekly report's 数据源状态 reads the stored logins wherever the store is: beside a SQLite
store, beside config.yaml for PostgreSQL (registry.credentials.credentials_path)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from click.testing import CliRunner

from govmedia.cli import main
from registry import credentials
from registry.constants import LOCAL_TZ
from tests.conftest import SAMPLE_CONFIG

NOW = dt.datetime(2026, 11, 28, 9, 0, tzinfo=LOCAL_TZ)


def test_the_weekly_report_shows_the_stored_wechat_login_on_any_store(
    store_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "config.yaml"
    text = SAMPLE_CONFIG.read_text(encoding="utf-8")
    config.write_text(
        re.sub(r"(?m)^store: .*$", f"store: {json.dumps(store_url)}", text), encoding="utf-8"
    )
    if store_url.startswith("sqlite"):
        logins = Path(store_url.removeprefix("sqlite:///")).parent / credentials.FILE_NAME
    else:
        logins = tmp_path / credentials.FILE_NAME
    session = credentials.WechatSession(
        account="博爱县人民政府",
        token="1234567890",
        cookie="slave_sid=secret",
        logged_in_at=NOW - dt.timedelta(days=1),
        expires_at=NOW + dt.timedelta(days=3),
    )
    credentials.store_wechat(logins, session)
    runner = CliRunner()
    args = ["-c", str(config), "--now", NOW.isoformat(), "--week", "2026-W47"]
    assert runner.invoke(main, ["sync", "-c", str(config)]).exit_code == 0
    out = tmp_path / "out"
    result = runner.invoke(main, ["report", "weekly", *args, "--format", "md", "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = next(out.rglob("*.md")).read_text(encoding="utf-8")
    sources = report.split("## 数据源状态", 1)[1].split("\n## ", 1)[0]
    wechat = next(line for line in sources.splitlines() if "微信公众平台" in line)
    assert "有效" in wechat and "博爱县人民政府" in wechat, wechat
    assert "secret" not in report and "1234567890" not in report
