"""The cycle's commands speak Chinese by default and English on request: `run`'s summary, the
demo's walkthrough, `cron` and `cron --install`, `schedule`'s refusals, the lock, a refused write
and a store too new. Logs stay English."""

from __future__ import annotations

import errno
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import insert

from govmedia.cli import main
from govmedia.interrupt import write_failure
from govmedia.locking import cycle_lock
from registry.config import load_config, store_url
from registry.i18n import use_language
from registry.store import open_store, schema_migrations
from tests.conftest import CHINESE
from tests.fixtures.cycle import ledger_data, write_ledger
from tests.fixtures.simulator import govmedia
from tests.test_cron_install import FOREIGN, fake_crontab, shanghai_machine  # noqa: F401

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def english_afterwards():
    """A Chinese command run in this process leaves `_` in Chinese: the suite reads English."""
    yield
    use_language("en")
    os.environ.pop("LANGUAGE", None)


def invoke(*args: str, lang: str | None = None):
    env = CHINESE if lang is None else {**CHINESE, "LANG": lang}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


# ---------------------------------------------------------------------------------------------
# run


def test_run_summary_is_chinese_by_default_and_english_with_lang_en(tmp_path):
    config = write_ledger(tmp_path, ledger_data(reports={"formats": ["html"]}))
    now = "2026-11-30T09:00:00+08:00"
    result = invoke("run", "--skip-crawl", "-c", str(config), "--now", now)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "监测周期 2026-11-30 09:00 CST：退出码 0"
    assert "  核查：无法核验 2" in lines
    report = tmp_path / "out" / "weekly" / "2026-W48" / "report.html"
    assert f"  周报 2026-W48：{report}" in lines
    assert "  提醒：新排队 0 条，已发送 0 条，发送失败 0 条，等待中 0 条" in lines

    again = invoke("run", "--skip-crawl", "-c", str(config), "--now", now, "--lang", "en")
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines()[0] == "cycle at 2026-11-30 09:00 CST: exit 0"
    assert "  check: unknown 2" in again.stdout
    assert "notifications: 0 queued, 0 sent, 0 failed, 0 waiting" in again.stdout


def test_the_lock_message_is_chinese_by_default(tmp_path):
    config = write_ledger(tmp_path, ledger_data())
    with cycle_lock(store_url(load_config(config)), command="schedule"):
        busy = govmedia("run", "--skip-crawl", "-c", str(config), env={"LANG": ""})
        english = govmedia("run", "--skip-crawl", "-c", str(config), "--lang", "en")
    assert busy.returncode == 1
    assert busy.stdout == ""
    assert busy.stderr.startswith("错误：另一个 govmedia 监测周期正在运行：主机 ")
    assert f"上的进程 {os.getpid()}（`govmedia schedule`），开始于 " in busy.stderr
    assert f"锁文件 {tmp_path / 'data' / 'govmedia.sqlite3.lock'}。" in busy.stderr
    assert busy.stderr.rstrip().endswith(
        "本次运行未做任何事；请等它完成（下一次定时运行会照常进行）。"
    )
    assert english.returncode == 1
    assert english.stderr.startswith("error: another govmedia cycle is running: pid ")


def test_a_store_from_a_newer_govmedia_is_one_chinese_line_and_exit_2(tmp_path):
    config = write_ledger(tmp_path, ledger_data())
    engine = open_store(store_url(load_config(config)))
    with engine.begin() as conn:
        conn.execute(
            insert(schema_migrations).values(
                version=99, name="future", applied_at=dt_utc("2026-11-28T00:00:00")
            )
        )
    engine.dispose()
    done = govmedia("run", "--skip-crawl", "-c", str(config), env={"LANG": ""})
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1] == (
        "错误：数据库结构版本为 99，比本版 govmedia 所知的（4）更新；请升级 govmedia"
    )
    english = govmedia("run", "--skip-crawl", "-c", str(config))
    assert english.returncode == 2
    assert english.stderr.splitlines()[-1].startswith(
        "error: the store is at schema version 99, newer than this govmedia knows"
    )


def test_a_store_that_cannot_be_opened_is_one_chinese_line_and_exit_1(tmp_path):
    """A file stands where the store's folder should be: one line naming it, no traceback."""
    config = write_ledger(tmp_path, ledger_data(store="blocked/govmedia.sqlite3"))
    (tmp_path / "blocked").write_text("not a folder")
    done = govmedia("run", "--skip-crawl", "-c", str(config), env={"LANG": ""})
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1] == (
        f"错误：无法访问 {tmp_path / 'blocked'}：已有同名文件（此处应是目录）；命令在此停止"
    )
    english = govmedia("run", "--skip-crawl", "-c", str(config))
    assert english.stderr.splitlines()[-1] == (
        f"error: cannot access {tmp_path / 'blocked'}: File exists; the command stopped there"
    )


def dt_utc(text: str):
    import datetime as dt

    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def test_a_refused_write_reads_in_chinese_and_logs_stay_english():
    full = OSError(errno.ENOSPC, "No space left on device")
    full.filename = "/srv/out/weekly/.report.html.ab12cd_4.tmp"
    use_language("zh")
    assert write_failure(full) == "无法写入 /srv/out/weekly/report.html：磁盘空间不足"
    assert write_failure(full, for_log=True) == (
        "cannot write /srv/out/weekly/report.html: No space left on device"
    )
    use_language("en")
    assert (
        write_failure(full) == "cannot write /srv/out/weekly/report.html: No space left on device"
    )


# ---------------------------------------------------------------------------------------------
# cron


def test_cron_prints_chinese_comments_and_the_same_lines(tmp_path):
    config = write_ledger(tmp_path, ledger_data(schedule={"crawl_at": ["07:45"], "notice": None}))
    chinese = invoke("cron", "-c", str(config))
    english = invoke("cron", "-c", str(config), "--lang", "en")
    assert chinese.exit_code == english.exit_code == 0
    lines = chinese.stdout.splitlines()
    assert lines[0] == "# govmedia 时间表，来自台账的 `schedule:`（时间按 Asia/Shanghai）。"
    assert "# 完整周期（采集、核查、报告、提醒）：每天 07:45 Asia/Shanghai" in lines
    assert "# 周报（核查、到期周报、提醒，不采集）：每周一 09:00 Asia/Shanghai" in lines
    assert "# cycle: every day at 07:45 Asia/Shanghai" in english.stdout.splitlines()

    def commands(text: str) -> list[str]:
        return [line for line in text.splitlines() if not line.startswith("#")]

    assert commands(chinese.stdout) == commands(english.stdout)  # only the comments differ


def test_cron_install_and_uninstall_say_what_they_did_in_chinese(
    sample_config: Path,
    fake_crontab: Path,  # noqa: F811
    shanghai_machine,  # noqa: F811
):
    fake_crontab.write_bytes(FOREIGN)
    resolved = sample_config.resolve()
    installed = invoke("cron", "-c", str(sample_config), "--install")
    assert installed.exit_code == 0, installed.output
    assert installed.stdout == f"crontab：{resolved} 的 govmedia 段已安装\n"
    assert installed.stderr == ""
    table = fake_crontab.read_bytes()
    assert "# 完整周期（采集、核查、报告、提醒）：每天 08:30 Asia/Shanghai".encode() in table
    again = invoke("cron", "-c", str(sample_config), "--install")
    assert again.stdout == f"crontab：{resolved} 的 govmedia 段已是最新，未做改动\n"
    assert fake_crontab.read_bytes() == table

    removed = invoke("cron", "-c", str(sample_config), "--uninstall")
    assert removed.stdout == f"crontab：{resolved} 的 govmedia 段已删除\n"
    assert fake_crontab.read_bytes() == FOREIGN
    nothing = invoke("cron", "-c", str(sample_config), "--uninstall")
    assert nothing.stdout == f"crontab：没有 {resolved} 的 govmedia 段，未做改动\n"

    english = invoke("cron", "-c", str(sample_config), "--install", "--lang", "en")
    assert english.stdout == f"crontab: govmedia block for {resolved}: installed\n"


def test_cron_refusals_and_the_zone_warning_are_chinese(
    sample_config: Path,
    fake_crontab: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
):
    both = invoke("cron", "-c", str(sample_config), "--install", "--uninstall")
    assert both.exit_code == 2
    assert "--install 和 --uninstall 只能给一个" in both.stderr

    resolved = sample_config.resolve()
    fake_crontab.write_bytes(FOREIGN + f"# BEGIN govmedia {resolved}\n0 1 * * * old\n".encode())
    broken = invoke("cron", "-c", str(sample_config), "--install")
    assert broken.exit_code == 1
    assert broken.stderr.splitlines()[-1] == (
        f"错误：crontab 第 4 行：“# BEGIN govmedia {resolved}”没有对应的"
        f"“# END govmedia {resolved}”；请用 crontab -e 改正后再运行本命令"
    )

    fake_crontab.write_bytes(FOREIGN)
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        warned = invoke("cron", "-c", str(sample_config), "--install")
        english = invoke("cron", "-c", str(sample_config), "--install", "--lang", "en")
    finally:
        monkeypatch.undo()
        time.tzset()
    assert warned.exit_code == 0
    assert warned.stderr.startswith(
        "警告：本机时区（Europe/Berlin）与台账时区（Asia/Shanghai）不同：这些行带有 "
        "CRON_TZ=Asia/Shanghai，cronie 会遵从；"
    )
    assert "`timedatectl set-timezone Asia/Shanghai`" in warned.stderr
    assert english.stderr.startswith("warning: this machine's time zone (Europe/Berlin)")


# ---------------------------------------------------------------------------------------------
# schedule


def test_schedule_refuses_a_bad_ledger_in_chinese(tmp_path):
    config = write_ledger(tmp_path, ledger_data(schedule={"crawl_at": ["25:00"]}))
    refused = invoke("schedule", "-c", str(config))
    assert refused.exit_code == 2
    assert refused.stderr.splitlines()[-1] == f"{config}：1 个问题，未做任何改动。"
    english = invoke("schedule", "-c", str(config), "--lang", "en")
    assert english.stderr.splitlines()[-1] == f"{config}: 1 problem; nothing was done."
    assert not (tmp_path / "data").exists()


def test_schedule_says_in_chinese_when_its_log_file_cannot_be_written(tmp_path):
    """The log file's folder is a file: the loop starts, logging to stderr only, and says so."""
    config = write_ledger(tmp_path, ledger_data(logging={"file": "blocked/govmedia.log"}))
    (tmp_path / "blocked").write_text("not a folder")
    env = {k: v for k, v in os.environ.items() if k not in CHINESE and k != "LANGUAGE"}
    stderr = tmp_path / "stderr.log"
    with stderr.open("w") as handle:
        process = subprocess.Popen(
            [sys.executable, "-c", "from govmedia.cli import main; main()"]
            + ["schedule", "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=handle,
            env=env,
            cwd=tmp_path,
        )
    try:
        from tests.fixtures.cycle import wait_for_line

        wait_for_line(stderr, 'msg="schedule loop started"')
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    text = stderr.read_text(encoding="utf-8")
    assert f"警告：无法写入日志文件 {tmp_path / 'blocked' / 'govmedia.log'}：" in text
    assert 'when="every day at 08:30 Asia/Shanghai"' in text  # the log stays English


def test_help_of_the_cycle_commands_is_chinese_and_english_on_request():
    for command, chinese, english in [
        ("run", "跑一个完整的监测周期", "One full cycle: sync the ledger"),
        (
            "schedule",
            "按台账 `schedule:` 的时间表持续运行监测周期",
            "Run the cycle on the timetable",
        ),
        ("cron", "输出为 crontab 行", "as crontab lines"),
        ("demo", "用示例台账对模拟平台离线跑一个完整周期", "Run a full cycle on the sample ledger"),
    ]:
        shown = invoke(command, "--help")
        assert chinese in shown.stdout and "示例：" in shown.stdout, command
        assert english in invoke(command, "--help", "--lang", "en").stdout, command


# ---------------------------------------------------------------------------------------------
# demo

# What may stay Latin in the demo's Chinese output: paths, the simulator's URL, account ids,
# ISO weeks and months, case ids, and commands to type.
LATIN_ALLOWED = re.compile(
    r"https?://\S+|/\S+|`[^`]*`|govmedia login wechat -c \S+|\d{8}-[a-z0-9-]+"
    r"|\b[a-z]+(?:-[a-z0-9]+)+\b|\d{4}-W\d{2}|\b[A-Z]{3}\b"
)


def test_the_demo_reads_as_chinese_from_start_to_end(sample_config, tmp_path):
    folder = tmp_path / "demo"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in CHINESE and k != "LANGUAGE" and not k.startswith("GOVMEDIA_")
    }
    done = subprocess.run(
        [sys.executable, "-c", "from govmedia.cli import main; main()", "demo"]
        + ["-c", str(sample_config), "--dir", str(folder), "--now", "2026-11-28T09:00:00+08:00"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    lines = out.splitlines()
    assert lines[0].startswith("模拟平台地址 http://127.0.0.1:")
    assert lines[0].endswith(f"；演示目录 {folder}")
    assert "微信公众平台登录已保存（扫码登录账号：博爱县人民政府），2026-11-28 21:00 过期" in lines
    heading = next(line for line in lines if "账号" in line and "采集" in line)
    assert all(word in heading for word in ("平台", "状态", "未更新", "关停标记"))
    row = next(line for line in lines if "qhz-wechat" in line)
    assert "正常" in row and "僵尸账号" in row and "应申请关停" in row and " 天" in row
    assert "僵尸账号 2  单项否决 2  预警 2  无法核验 6  合格 13  免检 3" in lines
    assert f"2026-W47 周报：{folder / 'out' / 'weekly' / '2026-W47' / 'report.html'}" in lines
    assert any(line.startswith("应申请关停账号的关停文书：") for line in lines)
    assert "给运维人员（运维值班）的提醒：" in lines
    assert (
        "排查：搜索 42 次，发现疑似未报备账号 4 个（见周报；或运行 `govmedia discover --list`）"
        in lines
    )
    assert (
        "整改事项 20261128-scjgj-wechat-flagged 已由 吴敏 答复：已提交关停申请，待县政府办审批"
        in lines
    )
    assert "2026-12-07 09:00 的监测周期：" in lines
    assert any(
        "自动销号（单项否决）" in line and "核查结论：合格（2026-12-07 09:00）" in line
        for line in lines
    )
    assert f"2026-12 通报：{folder / 'out' / 'notices' / '2026-12' / 'notice.docx'}" in lines
    assert lines[-2] == f"日志：{folder / 'data' / 'govmedia.log'}"
    assert lines[-1] == f"报告：{folder / 'out' / 'index.html'}"
    # Nothing English left: every line with words has Chinese, and no Latin word remains once
    # paths, ids and commands are taken out.
    for line in lines:
        rest = LATIN_ALLOWED.sub("", line)
        assert not re.search(r"[A-Za-z]{2,}", rest), line
