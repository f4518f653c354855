"""Issue 16 for compliance and reports: `check`, `filings`, `report` and `cases` speak Chinese by
default (the table's headings and the verdicts in the reports' own words, 单项否决, 僵尸账号 …)
and English with `--lang en`. Issue 17 stays true in Chinese: the problems and the counts by
default, every account with `--all`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from govmedia.cli import main
from registry.constants import VERDICT_LABELS
from tests.conftest import CHINESE
from tests.test_cases_cli import UNFILED_ID, VETO_ID
from tests.test_cases_cli import ledger as cases_ledger  # noqa: F401 - a fixture
from tests.test_compliance_cli import seed
from tests.test_filings import AT
from tests.test_filings import ledger as filings_ledger  # noqa: F401 - a fixture

CHECK_AT = ("--at", "2026-11-28T09:00")


def chinese(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=CHINESE, catch_exceptions=False)


def english(*args: str) -> Result:
    return CliRunner().invoke(main, [*args, "--lang", "en"], env=CHINESE, catch_exceptions=False)


def _listed(output: str) -> dict[str, str]:
    """account → verdict label of the table rows of a Chinese `govmedia check`."""
    labels = {label: status.value for status, label in VERDICT_LABELS.items()}
    rows = [line.split() for line in output.splitlines()]
    return {row[0]: labels[row[1]] for row in rows if len(row) > 1 and row[1] in labels}


def test_check_is_chinese_by_default_problems_counts_and_all(sample_config: Path):
    seed(sample_config)
    at = ("check", "-c", str(sample_config), *CHECK_AT)
    every = {v["account"]: v["status"] for v in json.loads(chinese(*at, "--json").output)}
    problems = {a: s for a, s in every.items() if s not in ("ok", "exempt")}

    default = chinese(*at)
    assert default.exit_code == 0, default.output
    out = default.stdout  # the ledger's warnings go to stderr (another area's words)
    assert "博爱县：政务新媒体合规检查（2026-11-28 09:00 CST）" in out
    header = next(line for line in out.splitlines() if line.startswith("账号"))
    assert header.split() == [
        "账号",
        "状态",
        "最近更新",
        "天数",
        "近7天",
        "本周",
        "缺更周数",
        "备注",
    ]
    assert _listed(out) == problems  # the problems only, each under the reports' label
    assert "gaj-weibo       僵尸账号" in out
    assert "应申请关停" in out  # the flag, in the filings' words
    assert "天数：连续未更新天数" in out
    counts = (
        "共 28 个账号：免检 3 个，合格 1 个，无法核验 23 个，僵尸账号 1 个；"
        "应申请关停 1 个，违规复开 0 个"
    )
    assert counts in out
    assert f"{len(every)} 个账号中 {len(problems)} 个需要关注（见上表）" in out
    assert "`govmedia check --all` 列出全部账号。" in out
    for word in ("zombie", "unknown", "accounts", "need attention", "last post"):
        assert word not in out

    listed_all = chinese(*at, "--all")
    assert listed_all.exit_code == 0
    assert _listed(listed_all.stdout) == every
    assert counts in listed_all.stdout
    assert "需要关注" not in listed_all.stdout


def test_check_speaks_english_with_lang_en(sample_config: Path):
    seed(sample_config)
    result = english("check", "-c", str(sample_config), *CHECK_AT)
    assert result.exit_code == 0
    assert "gaj-weibo       zombie" in result.output
    assert "28 accounts: 3 exempt, 1 ok, 23 unknown, 1 zombie; 1 flagged for shutdown" in (
        result.output
    )
    assert "need attention (listed above)" in result.output
    assert "僵尸账号" not in result.output


def test_check_help_is_chinese(sample_config: Path):
    result = chinese("check", "--help")
    assert "在一个监测时间点核查每个账号" in result.output and "示例：" in result.output
    assert "列出全部账号，而不只是有问题的账号" in result.output


def test_report_weekly_summary_is_chinese(report_store):
    config = str(report_store.config_path)
    result = chinese("report", "weekly", "-c", config, "--now", "2026-11-30T09:00")
    assert result.exit_code == 0, result.output
    first, *files = result.stdout.splitlines()
    assert first.startswith("周报 2026-W48：监测 ")
    assert "合格率 " in first and "无法核验 " in first and "应申请关停 " in first
    assert any(line.startswith("  html  ") and line.endswith("report.html") for line in files)
    assert any(line.startswith("  页面  账号页面 ") for line in files)
    assert files[-1] == f"  索引  {report_store.out_dir / 'index.html'}"
    # The terminal's line says what the report's summary says (the same figures, words).
    summary = json.loads(
        (report_store.out_dir / "weekly" / "2026-W48" / "summary.json").read_text()
    )
    assert first == f"周报 2026-W48：{summary['line']}"

    english_run = english("report", "weekly", "-c", config, "--now", "2026-11-30T09:00")
    assert english_run.stdout.startswith("weekly report 2026-W48: ")
    assert " monitored, pass rate " in english_run.stdout and "监测" not in english_run.stdout


def test_report_errors_are_chinese(report_store):
    config = str(report_store.config_path)
    result = chinese("report", "weekly", "-c", config, "--week", "48", "--now", "2026-11-30T09:00")
    assert result.exit_code == 2
    assert "'48' 不是 ISO 周；请写作 2026-W48" in result.output
    result = chinese(
        "report", "weekly", "-c", config, "--week", "2026-W49", "--now", "2026-11-30T09:00"
    )
    assert result.exit_code == 2
    assert "2026-W49 尚未结束；其周报须在周日 2026-12-06 之后生成" in result.output
    result = chinese("report", "notice", "-c", config, "--now", "2026-11-30T09:00")
    assert result.exit_code == 2
    assert "请给出 --month 2026-11 或 --quarter 2026-Q4 其中之一" in result.output
    result = chinese("report", "notice", "-c", config, "--month", "11", "--now", "2026-11-30T09:00")
    assert "'11' 不是月份；写作 2026-11" in result.output


def test_report_annual_figures_are_chinese(report_store):
    args = ("report", "annual", "-c", str(report_store.config_path), "--year", "2026")
    result = chinese(*args, "--now", "2027-01-05T09:00")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "年末账号：9 个" in out
    assert "\n  微博" + " " * 9 + "3\n" in out  # padded by terminal cells: 微博 takes four
    assert "检查：监测时间点 " in out and "问题：发现 " in out and "accounts at year end" not in out
    english_run = english(*args, "--now", "2027-01-05T09:00")
    assert "accounts at year end: 9" in english_run.stdout
    assert "\n  weibo" + " " * 8 + "3\n" in english_run.stdout


def test_report_notice_summary_is_chinese(report_store):
    args = ("report", "notice", "-c", str(report_store.config_path), "--month", "2026-11")
    when = ("--date", "2026-12-03", "--now", "2026-12-03T09:00")
    result = chinese(*args, *when)
    assert result.exit_code == 0, result.output
    first, *files = result.stdout.splitlines()
    assert first.startswith("通报 2026-11：检查 ") and "其他问题 " in first
    summary = json.loads(
        (report_store.out_dir / "notices" / "2026-11" / "summary.json").read_text()
    )
    assert first == f"通报 2026-11：{summary['line']}"
    assert any(line.startswith("  docx  ") for line in files)

    english_run = english(*args, *when)
    assert english_run.stdout.startswith("notice 2026-11: ")
    assert " checked, pass rate " in english_run.stdout and "检查" not in english_run.stdout


def test_cases_list_and_transitions_are_chinese(cases_ledger: Path):  # noqa: F811
    listed = chinese("cases", "-c", str(cases_ledger))
    assert listed.exit_code == 0, listed.output
    veto = next(line for line in listed.output.splitlines() if line.startswith(VETO_ID))
    assert f"{VETO_ID}  逾期未整改  " in veto
    assert "发现 2026-11-28  整改期限 2026-12-04" in veto
    assert "overdue" not in veto and "opened" not in veto and "deadline" not in veto
    assert "逾期未整改（system）：" in listed.output or "逾期未整改（" in listed.output

    answered = chinese(
        "cases",
        "respond",
        UNFILED_ID,
        "--note",
        "正在补报",
        "--by",
        "王芳",
        "-c",
        str(cases_ledger),
    )
    assert answered.exit_code == 0
    assert answered.output.strip() == f"{UNFILED_ID}：已反馈（王芳）"
    history = chinese("cases", "-c", str(cases_ledger)).output
    assert " 王芳 反馈：正在补报" in history
    closed = chinese(
        "cases",
        "close",
        UNFILED_ID,
        "--reason",
        "已线下报备",
        "--by",
        "张伟",
        "-c",
        str(cases_ledger),
    )
    assert closed.output.strip() == f"{UNFILED_ID}：已销号（张伟）"
    again = CliRunner().invoke(
        main,
        ["cases", "respond", UNFILED_ID, "--note", "x", "--by", "y", "-c", str(cases_ledger)],
        env=CHINESE,
    )
    assert again.exit_code == 2
    assert f"错误：整改事项 {UNFILED_ID} 已销号，无需反馈" in again.output
    typo = CliRunner().invoke(
        main, ["cases", "close", "zzz", "--reason", "x", "-c", str(cases_ledger)], env=CHINESE
    )
    assert typo.exit_code == 2
    assert "错误：没有整改事项 'zzz'；`govmedia cases` 可列出全部整改事项" in typo.output
    department = CliRunner().invoke(
        main, ["cases", "--department", "gja", "-c", str(cases_ledger)], env=CHINESE
    )
    assert "错误：台账中没有部门 'gja'；您要找的是不是 gaj？" in department.output


def test_cases_speak_english_with_lang_en(cases_ledger: Path):  # noqa: F811
    listed = english("cases", "-c", str(cases_ledger))
    assert "overdue    逾期未整改" in listed.output and "opened 2026-11-28" in listed.output
    answered = english(
        "cases",
        "respond",
        UNFILED_ID,
        "--note",
        "正在补报",
        "--by",
        "王芳",
        "-c",
        str(cases_ledger),
    )
    assert answered.output.strip() == f"{UNFILED_ID}: responded (王芳)"


def test_filings_are_chinese_by_default(filings_ledger, tmp_path: Path):  # noqa: F811
    config, _store = filings_ledger
    out = tmp_path / "filings"
    result = chinese("filings", "-c", str(config), "--out", str(out), *AT)
    assert result.exit_code == 0, result.output
    last = result.output.splitlines()[-1]
    assert last.startswith("已为 ") and f"份文书；索引：{out / 'index.html'}" in last

    status = chinese("filings", "-c", str(config), "--status", *AT)
    assert status.exit_code == 0, status.output
    assert "博爱县：账号关停进度" in status.output
    for heading in ("阶段", "账号", "部门", "下一步"):
        assert heading in status.output
    assert "已关停账号违规复开" in status.output  # the stage in the filings' words
    assert "关停进度：" in status.output and "closures:" not in status.output

    unknown = CliRunner().invoke(
        main, ["filings", "-c", str(config), "--account", "nope"], env=CHINESE
    )
    assert unknown.exit_code == 2
    assert "中没有账号 'nope'；可用 `govmedia accounts` 查看" in unknown.output


def test_filings_speak_english_with_lang_en(filings_ledger, tmp_path: Path):  # noqa: F811
    config, _store = filings_ledger
    result = english("filings", "-c", str(config), "--out", str(tmp_path / "f"), *AT)
    assert result.output.splitlines()[-1].startswith("wrote ")
    status = english("filings", "-c", str(config), "--status", *AT)
    assert "closures: " in status.output and "relaunched" in status.output


@pytest.mark.parametrize("command", [["report", "weekly"], ["cases", "close"], ["filings"]])
def test_help_of_each_command_is_chinese(command: list[str]):
    result = chinese(*command, "--help")
    assert result.exit_code == 0
    assert "示例：" in result.output and "Example:" not in result.output
