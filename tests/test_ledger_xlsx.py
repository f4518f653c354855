"""`govmedia ledger export --xlsx` and `govmedia ledger import`: the ledger as a workbook a clerk
edits in Excel, merged back into config.yaml through the same validation, atomically."""

from __future__ import annotations

import datetime as dt
import difflib
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from govmedia.cli import main
from registry.config import load_config
from registry.ledger_table import COLUMNS, SHEET_TITLE


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def export(config: Path) -> Path:
    target = config.parent / "台账.xlsx"
    code, out, err = run("ledger", "export", "-c", str(config), "--xlsx", str(target))
    assert code == 0, err
    return target


def letter(header: str) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter([c.header for c in COLUMNS].index(header) + 1)


def row_of(sheet, account_id: str) -> int:
    column = letter("账号编号")
    for row in range(2, sheet.max_row + 1):
        if sheet[f"{column}{row}"].value == account_id:
            return row
    raise AssertionError(account_id)


def edit(book: Path, changes: dict[tuple[str, str], object], target: Path | None = None) -> Path:
    """Set cells (account id, header) → value, as a clerk would in Excel."""
    workbook = openpyxl.load_workbook(book)
    sheet = workbook[SHEET_TITLE]
    for (account_id, header), value in changes.items():
        sheet[f"{letter(header)}{row_of(sheet, account_id)}"] = value
    target = target or book.with_name("edited.xlsx")
    workbook.save(target)
    return target


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    return (
        [line[2:] for line in diff if line.startswith("+ ")],
        [line[2:] for line in diff if line.startswith("- ")],
    )


def test_export_is_a_clerks_workbook(sample_config: Path):
    book = export(sample_config)
    sheet = openpyxl.load_workbook(book)[SHEET_TITLE]
    headers = [c.value for c in sheet[1]]
    assert headers[:6] == ["单位编号", "单位名称", "单位级别", "账号编号", "账号名称", "平台"]
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    accounts = list(load_config(sample_config).config.iter_accounts())
    assert sheet.max_row == len(accounts) + 1
    row = row_of(sheet, "xzf-weibo")
    assert sheet[f"{letter('平台')}{row}"].value == "微博"
    assert sheet[f"{letter('状态')}{row}"].value == "运营中"
    assert sheet[f"{letter('纳入国家平台')}{row}"].value == "是"
    assert sheet[f"{letter('电话')}{row}"].data_type == "s"  # digits stay text
    assert sheet[f"{letter('开设日期')}{row}"].value == dt.datetime(2013, 8, 20)
    assert sheet[f"{letter('开设日期')}{row}"].is_date
    lists = {
        str(v.sqref).split(":")[0][:-1]: v.formula1 for v in sheet.data_validations.dataValidation
    }
    assert "哔哩哔哩" in lists[letter("平台")]
    assert lists[letter("状态")] == '"运营中,关停中,已关停"'
    assert lists[letter("纳入省级平台")] == '"是,否"'
    assert sheet.column_dimensions[letter("单位名称")].width >= 20


def test_unchanged_workbook_imports_as_no_change_byte_identical(sample_config: Path):
    before = sample_config.read_bytes()
    book = export(sample_config)
    code, out, err = run("ledger", "import", "-c", str(sample_config), str(book))
    assert code == 0, err
    assert "no change to the ledger" in out
    assert f"{sample_config}: unchanged" in out
    assert sample_config.read_bytes() == before


def test_one_edited_cell_is_exactly_one_change(sample_config: Path):
    before = sample_config.read_text("utf-8")
    book = edit(export(sample_config), {("xzf-weibo", "电话"): "13900000000"})
    code, out, err = run("ledger", "import", "-c", str(sample_config), str(book))
    assert code == 0, err
    assert "owner.phone: 13903910002 → 13900000000" in out
    added, removed = changed_lines(before, sample_config.read_text("utf-8"))
    assert removed == ['        owner: {name: 李明, phone: "13903910002"}']
    assert added == ['        owner: {name: 李明, phone: "13900000000"}']


def test_dry_run_shows_the_change_and_writes_nothing(sample_config: Path):
    before = sample_config.read_bytes()
    book = edit(export(sample_config), {("xzf-weibo", "账号名称"): "博爱发布微博"})
    code, out, err = run("ledger", "import", "-c", str(sample_config), str(book), "--dry-run")
    assert code == 0, err
    assert "name: 博爱发布 → 博爱发布微博" in out
    assert "not written (--dry-run)" in out
    assert sample_config.read_bytes() == before


def test_bad_cells_name_sheet_cell_and_header_and_change_nothing(sample_config: Path):
    before = sample_config.read_bytes()
    book = edit(
        export(sample_config),
        {
            ("gaj-wechat", "平台"): "bilbili",
            ("gaj-weibo", "开设日期"): "去年",
            ("xzf-weibo", "纳入国家平台"): "也许",
            ("jyj-wechat", "账号编号"): "JYJ wechat",
        },
    )
    code, out, err = run("ledger", "import", "-c", str(sample_config), str(book))
    assert code == 2
    sheet = openpyxl.load_workbook(book)[SHEET_TITLE]
    rows = {a: row_of(sheet, a) for a in ("gaj-wechat", "gaj-weibo", "xzf-weibo")}
    jyj = rows_of_value(sheet, "JYJ wechat")
    assert err.splitlines() == [
        f"{book}: 台账!{letter('纳入国家平台')}{rows['xzf-weibo']} (纳入国家平台): "
        "'也许' is not 是 or 否",
        f"{book}: 台账!{letter('开设日期')}{rows['gaj-weibo']} (开设日期): "
        "'去年' is not a date; write it as 2026-11-28",
        f"{book}: 台账!F{rows['gaj-wechat']} (平台): 'bilbili' is not a platform; "
        "did you mean bilibili?",
        f"{book}: 台账!D{jyj} (账号编号): 'JYJ wechat' is not an id: lowercase letters, "
        "digits and '-'",
        f"{book}: 4 problems; {sample_config} was not changed",
    ]
    assert sample_config.read_bytes() == before


def rows_of_value(sheet, value: str) -> int:
    for row in sheet.iter_rows():
        if any(c.value == value for c in row):
            return row[0].row
    raise AssertionError(value)


def test_invalid_result_is_refused_like_validate(sample_config: Path):
    """A cell that reads fine but makes the ledger invalid (a malformed phone) is refused with
    validate's message; nothing is written."""
    before = sample_config.read_bytes()
    book = edit(export(sample_config), {("xzf-weibo", "电话"): "call me"})
    code, out, err = run("ledger", "import", "-c", str(sample_config), str(book))
    assert code == 2
    assert "owner.phone" in err and "would make the ledger invalid" in err
    assert sample_config.read_bytes() == before


def test_new_row_registers_and_missing_row_is_kept_and_listed(sample_config: Path):
    book = export(sample_config)
    workbook = openpyxl.load_workbook(book)
    sheet = workbook[SHEET_TITLE]
    sheet.delete_rows(row_of(sheet, "jyj-wechat"))
    values = {
        "单位编号": "gaj",
        "单位名称": "博爱县公安局",
        "账号编号": "gaj-bili",
        "账号名称": "博爱公安",
        "平台": "bilibili",  # the English value is read too
        "标识": 123456,  # typed as a number in Excel
        "负责人": "陈静",
        "电话": "13903910012",
        "开设日期": dt.date(2026, 11, 20),
        "报备日期": "2026-11-25",
        "纳入省级平台": "是",
        "开设依据": "公安机关依法开设",
    }
    new_row = sheet.max_row + 1
    for header, value in values.items():
        sheet[f"{letter(header)}{new_row}"] = value
    workbook.save(book)
    code, out, err = run("ledger", "import", "-c", str(sample_config), str(book))
    assert code == 0, err
    assert "registered  gaj-bili" in out
    assert "jyj-wechat" in err and "not in the sheet and were kept" in err
    config = load_config(sample_config).config
    department, account = config.account("gaj-bili")
    assert department.id == "gaj"
    assert (account.platform.value, account.mid) == ("bilibili", "123456")
    assert (account.supervised.national, account.supervised.provincial) == (False, True)
    assert account.filed_on == dt.date(2026, 11, 25)
    assert config.account("jyj-wechat")  # never deleted by an import


def test_closing_an_account_in_the_sheet(sample_config: Path):
    book = edit(
        export(sample_config),
        {
            ("xzf-toutiao", "状态"): "关停中",
            ("xzf-toutiao", "关停原因"): "并入博爱发布",
            ("xzf-toutiao", "关停批准日期"): dt.date(2026, 11, 20),
        },
    )
    before = sample_config.read_text("utf-8")
    code, out, err = run("ledger", "import", "-c", str(sample_config), str(book))
    assert code == 0, err
    added, removed = changed_lines(before, sample_config.read_text("utf-8"))
    assert removed == []
    assert added == [
        "        status: closing",
        "        closure:",
        "          reason: 并入博爱发布",
        "          approved_on: 2026-11-20",
    ]
    assert "active → closing" in out


def test_formula_like_text_round_trips_as_text(sample_config: Path):
    text = sample_config.read_text("utf-8")
    sample_config.write_text(
        text.replace(
            '        uid: "2803301701"\n',
            '        uid: "2803301701"\n        note: "=HYPERLINK(\\"x\\")"\n',
            1,
        ),
        "utf-8",
    )
    before = sample_config.read_bytes()
    book = export(sample_config)
    sheet = openpyxl.load_workbook(book)[SHEET_TITLE]
    cell = sheet[f"{letter('备注')}{row_of(sheet, 'xzf-weibo')}"]
    assert cell.value == '=HYPERLINK("x")'
    assert cell.data_type == "s"  # text, never a formula
    code, out, err = run("ledger", "import", "-c", str(sample_config), str(book))
    assert code == 0, err
    assert sample_config.read_bytes() == before


def test_a_formula_typed_into_a_cell_is_refused(sample_config: Path):
    before = sample_config.read_bytes()
    book = edit(export(sample_config), {("xzf-weibo", "账号名称"): "=B2"})
    code, out, err = run("ledger", "import", "-c", str(sample_config), str(book))
    assert code == 2
    assert "(账号名称): a formula; type the value itself" in err
    assert sample_config.read_bytes() == before


@pytest.mark.parametrize("label", ["哔哩哔哩", "bilibili", "Bilibili"])
def test_platform_read_in_chinese_or_english(label: str):
    from registry.ledger_table import parse_row

    cells = {
        "单位编号": "gaj",
        "单位名称": "博爱县公安局",
        "账号编号": "gaj-bili",
        "账号名称": "博爱公安",
        "平台": label,
        "负责人": "陈静",
    }
    record = parse_row(cells, {})
    assert not isinstance(record, list)
    assert record.platform.value == "bilibili"
    assert record.source.value == "bilibili"


def test_allow_remove_replaces_the_samples_accounts_with_ones_own(sample_config: Path):
    book = export(sample_config)
    workbook = openpyxl.load_workbook(book)
    sheet = workbook[SHEET_TITLE]
    keep = row_of(sheet, "jyj-wechat")
    for row in reversed(range(2, sheet.max_row + 1)):
        if row != keep:
            sheet.delete_rows(row)
    sheet[f"{letter('单位名称')}2"] = "某某县教育局"
    workbook.save(book)
    code, out, err = run("ledger", "import", "-c", str(sample_config), str(book))
    assert code == 0, err
    assert "not in the sheet and were kept" in err  # without the flag: kept, listed
    assert len(list(load_config(sample_config).config.iter_accounts())) > 1

    code, out, err = run("ledger", "import", "-c", str(sample_config), str(book), "--allow-remove")
    assert code == 0, err
    assert "removed     gaj-weibo" in out and "department removed: gaj (博爱县公安局)" in out
    config = load_config(sample_config).config
    assert [a.id for _, a in config.iter_accounts()] == ["jyj-wechat"]
    assert [(d.id, d.name) for d in config.departments] == [("jyj", "某某县教育局")]
    assert config.jurisdiction == "博爱县"  # everything outside the ledger stays
