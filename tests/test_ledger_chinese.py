"""The ledger commands speak Chinese by default (English with --lang en): register, close,
validate, diff and the workbook import, with their prompts, suggestions and errors. A department
is never added from a typo, and each interactive answer is checked as it is typed."""

from __future__ import annotations

import difflib
import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from govmedia.cli import main
from registry.config import load_config
from tests.conftest import CHINESE, TODAY
from tests.test_ledger_xlsx import edit, export, letter, row_of

# A registration complete but for its department, as a clerk types it on the command line.
ACCOUNT = [
    "--platform",
    "toutiao",
    "--name",
    "博爱公安",
    "--id",
    "gaj-toutiao",
    "--owner-name",
    "陈静",
    "--owner-phone",
    "13903910012",
    "--exception-basis",
    "公安机关依法开设",
]


def zh(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=CHINESE, input=input)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def added_and_removed(before: str, after: str) -> tuple[list[str], list[str]]:
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    return (
        [line[2:] for line in diff if line.startswith("+ ")],
        [line[2:] for line in diff if line.startswith("- ")],
    )


def no_temporary_files(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


# ---------------------------------------------------------------------------------------------
# register: departments


def test_a_mistyped_department_is_refused_with_the_one_meant(sample_config: Path):
    digest = sha(sample_config)
    result = zh("register", "-c", str(sample_config), "--department", "gja", *ACCOUNT)
    assert result.exit_code == 2
    assert "没有部门 'gja'；是否要写 gaj（博爱县公安局）？" in result.output
    assert "--new-department" in result.output
    assert sha(sample_config) == digest


def test_a_mistyped_department_with_a_name_is_still_refused(sample_config: Path):
    """Before, --department-name with a typo of gaj silently added a second 博爱县公安局."""
    digest = sha(sample_config)
    result = zh(
        "register",
        "-c",
        str(sample_config),
        "--department",
        "gja",
        "--department-name",
        "博爱县公安局",
        *ACCOUNT,
    )
    assert result.exit_code == 2
    assert "博爱县公安局 已在台账中，部门编号为 gaj；请写 --department gaj" in result.output
    assert sha(sample_config) == digest


def test_a_new_department_is_added_only_when_named(sample_config: Path):
    result = zh(
        "register",
        "-c",
        str(sample_config),
        "--department",
        "tjj",
        "--new-department",
        "博爱县统计局",
        *[a.replace("gaj-", "tjj-") for a in ACCOUNT],
    )
    assert result.exit_code == 0, result.output
    assert "新增部门 tjj（博爱县统计局）" in result.output
    assert "已登记 tjj-toutiao：博爱公安，平台 toutiao，部门 tjj" in result.output
    assert f"{sample_config}：已更新" in result.output
    department, _account = load_config(sample_config).config.account("tjj-toutiao")
    assert (department.id, department.name) == ("tjj", "博爱县统计局")


def test_english_with_lang_en(sample_config: Path):
    result = zh(
        "register", "-c", str(sample_config), "--department", "gja", *ACCOUNT, "--lang", "en"
    )
    assert result.exit_code == 2
    assert "no department 'gja'; did you mean gaj (博爱县公安局)?" in result.output
    assert "没有" not in result.output


def test_a_date_written_another_way_is_refused_with_the_fix(sample_config: Path):
    result = zh(
        "register", "-c", str(sample_config), "--department", "gaj", *ACCOUNT,
        "--opened-on", "2026/11/1",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "'2026/11/1' 不是日期；写作 2026-11-01" in result.output
    english = zh("close", "-c", str(sample_config), "xlz-wechat", "--approved-on", "2026.11.27",
                 "--lang", "en")  # fmt: skip
    assert "'2026.11.27' is not a date; write it as 2026-11-27" in english.output


# ---------------------------------------------------------------------------------------------
# register: asked, each answer checked as it is typed


def test_interactive_register_reasks_each_bad_answer_and_writes_atomically(sample_config: Path):
    before = sample_config.read_text("utf-8")
    answers = [
        "gja",  # a typo: the department meant is suggested, and asked again
        "gaj",
        "头条",  # neither a platform nor its label
        "今日头条",  # the label is accepted
        "博爱公安",
        "Bad_Id",  # refused by the ledger's own id rule
        "",  # the suggested gaj-toutiao
        "陈静",
        "12345",  # not a phone number
        "13903910012",
        "2026/11/1",  # re-asked with the fix
        "2026-11-01",
        "2099-01-01",  # in the future
        "2026-10-01",  # before opened_on
        "2026-11-25",
        "也许",  # neither yes nor no
        "是",
        "",  # provincial: no
        "公安机关依法开设",
    ]
    result = zh("register", "-c", str(sample_config), "-i", input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "gaj — 博爱县公安局" in out  # the departments are listed with their names
    assert "错误：没有部门 'gja'；是否要写 gaj（博爱县公安局）？" in out
    assert "'2026/11/1' 不是日期；写作 2026-11-01" in out
    assert "请回答 是 或 否" in out
    # each refused answer asked its question again
    assert out.count("部门编号:") == 2
    assert out.count("平台:") == 2
    assert out.count("账号编号（") == 2
    assert out.count("负责人电话") == 2
    assert out.count("开设日期") == 2
    assert out.count("报备登记日期") == 3
    assert out.count("国家政务新媒体监管平台") == 2
    assert f"{sample_config}：已更新" in out
    after = sample_config.read_text("utf-8")
    added, removed = added_and_removed(before, after)
    assert removed == []  # comments and every other line kept
    assert added == [
        "      - id: gaj-toutiao",
        "        name: 博爱公安",
        "        platform: toutiao",
        '        owner: {name: 陈静, phone: "13903910012"}',
        "        opened_on: 2026-11-01",
        "        filed_on: 2026-11-25",
        "        supervised: {national: true, provincial: false}",
        "        exception_basis: 公安机关依法开设",
    ]
    assert no_temporary_files(sample_config.parent)


@pytest.mark.parametrize("answers", [["tongji", "n", "gaj"], ["gja", "gja", "n", "gaj"]])
def test_interactive_register_adds_no_department_unless_confirmed(sample_config: Path, answers):
    rest = ["wechat", "博爱公安服务", "gaj-wechat2", "", "陈静", "13903910012", "", "", "", "",
            "公安机关依法开设"]  # fmt: skip
    result = zh("register", "-c", str(sample_config), "-i", input="\n".join(answers + rest) + "\n")
    assert result.exit_code == 0, result.output
    assert "台账中没有部门" in result.output and "是否新增此部门？" in result.output
    config = load_config(sample_config, today=TODAY).config
    assert [d.id for d in config.departments if d.id in ("tongji", "gja")] == []
    department, _account = config.account("gaj-wechat2")
    assert department.id == "gaj"


def test_interactive_register_adds_a_confirmed_department_with_a_name_of_its_own(
    sample_config: Path,
):
    answers = ["tongji", "y", "博爱县公安局", "博爱县统计局", "局", "department",
               "weibo", "博爱统计", "tongji-weibo", "7310000001", "王芳", "", "wangfang@boai.gov.cn",
               "", "", "", "", "统计部门依职能开设"]  # fmt: skip
    result = zh("register", "-c", str(sample_config), "-i", input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    assert "博爱县公安局 已在台账中，部门编号为 gaj" in result.output
    assert "'局' 不是部门级别" in result.output
    department, account = load_config(sample_config, today=TODAY).config.account("tongji-weibo")
    assert (department.id, department.name, department.level.value) == (
        "tongji",
        "博爱县统计局",
        "department",
    )
    assert account.uid == "7310000001" and account.owner.email == "wangfang@boai.gov.cn"


# ---------------------------------------------------------------------------------------------
# close


def test_close_in_chinese(sample_config: Path):
    result = zh(
        "close", "-c", str(sample_config), "xlz-wechat", "--reason", "并入清化镇发布",
        "--approved-on", "2026-11-27",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "xlz-wechat：运营中 → 关停中" in result.output
    assert "xlz-wechat 记录以下各项后即为已关停：--deregistered-on、--filed-on" in result.output
    assert f"{sample_config}：已更新" in result.output
    english = zh("close", "-c", str(sample_config), "xlz-wechat", "--notice-on", "2026-11-28",
                 "--lang", "en")  # fmt: skip
    assert "xlz-wechat: closing, closure updated" in english.output


def test_close_of_a_mistyped_account_names_the_one_meant(sample_config: Path):
    digest = sha(sample_config)
    result = zh("close", "-c", str(sample_config), "gaj-weibu", "--reason", "x")
    assert result.exit_code == 2
    assert (
        f"{sample_config} 中没有账号 'gaj-weibu'；是否要写 gaj-weibo（博爱公安）？" in result.output
    )
    assert sha(sample_config) == digest


def test_interactive_close_reasks_bad_dates_then_confirms(sample_config: Path):
    answers = [
        "并入清化镇发布",
        "2026/11/27",  # re-asked with the fix
        "2026-11-27",
        "2026-11-20",  # before the approval
        "2026-11-28",
        "",  # not deregistered yet
        "",
        "",
        "y",
    ]
    result = zh("close", "-c", str(sample_config), "xlz-wechat", "-i",
                input="\n".join(answers) + "\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "xlz-wechat：许良镇发布（微信公众号），部门 xlz（许良镇人民政府）；当前状态：运营中" in (
        result.output
    )
    assert "'2026/11/27' 不是日期；写作 2026-11-27" in result.output
    assert result.output.count("停更公告日期") == 2
    assert "是否将 xlz-wechat 的关停情况记入台账？" in result.output
    assert "xlz-wechat：运营中 → 关停中" in result.output
    _department, account = load_config(sample_config, today=TODAY).config.account("xlz-wechat")
    assert account.status.value == "closing"
    assert (str(account.closure.approved_on), str(account.closure.notice_on)) == (
        "2026-11-27",
        "2026-11-28",
    )


def test_interactive_close_refused_at_the_confirmation_writes_nothing(sample_config: Path):
    digest = sha(sample_config)
    result = zh("close", "-c", str(sample_config), "xlz-wechat", "-i",
                input="并入清化镇发布\n2026-11-27\n\n\n\n\nn\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"{sample_config}：未写入" in result.output
    assert sha(sample_config) == digest


# ---------------------------------------------------------------------------------------------
# validate, accounts, diff


def test_validate_summary_in_chinese(sample_config: Path, tmp_path: Path):
    result = zh("validate", "-c", str(sample_config))
    assert result.exit_code == 0
    assert result.stdout == f"{sample_config}：有效：13 个部门，28 个账号，2 个警告\n"
    assert "警告：" in result.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        sample_config.read_text("utf-8").replace("platform: bilibili", "platform: bilbili", 1),
        "utf-8",
    )
    failed = zh("validate", "-c", str(bad))
    assert failed.exit_code == 2
    assert failed.stderr.splitlines()[-1] == f"{bad}：1 个问题，台账无效"
    english = zh("validate", "-c", str(sample_config), "--lang", "en")
    assert "valid: 13 departments, 28 accounts, 2 warnings" in english.stdout


def test_accounts_in_chinese(sample_config: Path):
    table = zh("accounts", "-c", str(sample_config), "--department", "gaj")
    assert table.exit_code == 0
    assert "博爱县政务新媒体台账（" in table.stdout and "负责人" in table.stdout
    unknown = zh("accounts", "-c", str(sample_config), "--department", "公安")
    assert unknown.exit_code == 2
    assert "没有部门 '公安'；是否要写 gaj（博爱县公安局）？" in unknown.output


def test_diff_in_chinese(sample_config: Path, tmp_path: Path):
    new = tmp_path / "new.yaml"
    new.write_text(
        sample_config.read_text("utf-8").replace('"13903910011"', '"13903910019"', 1), "utf-8"
    )
    result = zh("diff", str(sample_config), str(new))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("变更")
    assert "owner.phone: 13903910011 → 13903910019" in result.stdout
    assert result.stdout.splitlines()[-1] == "变更 1 个"
    same = zh("diff", str(sample_config), str(sample_config))
    assert same.stdout == "台账没有变化\n"
    english = zh("diff", str(sample_config), str(new), "--lang", "en")
    assert english.stdout.splitlines()[-1] == "1 changed"


# ---------------------------------------------------------------------------------------------
# ledger export / import


def test_import_problems_name_sheet_row_and_column_in_chinese(sample_config: Path):
    before = sample_config.read_bytes()
    book = edit(export(sample_config), {("gaj-wechat", "平台"): "bilbili"})
    import openpyxl

    row = row_of(openpyxl.load_workbook(book)["台账"], "gaj-wechat")
    result = zh("ledger", "import", "-c", str(sample_config), str(book))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{book}：工作表“台账”第 {row} 行 {letter('平台')} 列（平台）："
        "'bilbili' 不是平台；是否要写 bilibili？",
        f"{book}：1 个问题；{sample_config} 未做任何改动",
    ]
    assert sample_config.read_bytes() == before
    english = zh("ledger", "import", "-c", str(sample_config), str(book), "--lang", "en")
    assert f"{book}: 台账!{letter('平台')}{row} (平台): 'bilbili' is not a platform" in (
        english.stderr
    )


def test_import_refuses_a_new_department_that_is_a_typo_of_one(sample_config: Path):
    before = sample_config.read_bytes()
    book = edit(
        export(sample_config),
        {("gaj-wechat", "单位编号"): "gja", ("gaj-wechat", "账号编号"): "gja-wechat"},
    )
    result = zh("ledger", "import", "-c", str(sample_config), str(book))
    assert result.exit_code == 2
    assert "博爱县公安局 已在台账中，部门编号为 gaj；请写 gaj" in result.stderr
    assert sample_config.read_bytes() == before


def test_import_in_chinese_shows_the_change_and_writes(sample_config: Path):
    book = edit(export(sample_config), {("gaj-weibo", "电话"): "13903910019"})
    result = zh("ledger", "import", "-c", str(sample_config), str(book))
    assert result.exit_code == 0, result.output
    assert "owner.phone: 13903910011 → 13903910019" in result.stdout
    assert f"{sample_config}：已更新" in result.stdout
    exported = zh("ledger", "export", "-c", str(sample_config), "--xlsx", str(book))
    assert exported.stdout == f"{book}：已写入 28 个账号\n"


def test_help_of_the_ledger_commands_is_chinese():
    for command in (["register"], ["close"], ["ledger", "import"], ["validate"]):
        result = zh(*command, "--help")
        assert result.exit_code == 0
        assert "示例：" in result.output, command
    register = zh("register", "--help").output
    assert "--new-department" in register and "逐项询问" in register
    assert "Ask for every field" in zh("register", "--help", "--lang", "en").output


def test_sync_in_chinese(sample_config: Path):
    first = zh("sync", "-c", str(sample_config))
    assert first.exit_code == 0, first.output
    assert first.stdout == (
        "已同步：新登记 28 个，变更 0 个，状态变化 0 个，删除 0 个，未变 0 个\n"
    )
    again = zh("sync", "-c", str(sample_config), "--lang", "en")
    assert "synced: 0 registered, 0 changed, 0 status changed, 0 removed, 28 unchanged" in (
        again.stdout
    )
