"""What a clerk reads when config.yaml is wrong: Chinese by default, English with --lang en, and
the fixes of the likeliest Chinese typos (a full-width colon or space, a date written 2026/11/1,
是/否 for true/false), each through `govmedia validate` on a real file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import BaseModel

import registry.models as models
from govmedia.cli import main
from registry.problems import UNITS
from tests.conftest import CHINESE
from tests.test_config import BASE  # one account of 博爱县公安局

CJK = re.compile(r"[\u4e00-\u9fff]")

P = "departments[gaj].accounts[gaj-weibo]"

COLON_ZH = "这一行用了全角冒号“：”，请改为半角冒号“:”并在其后加一个空格"
COLON_EN = "this line has a full-width colon '：' (U+FF1A); write an ASCII ':' followed by a space"
SPACE_ZH = "这一行用了全角空格（U+3000），请改为半角空格"
SPACE_EN = "this line has a full-width space (U+3000); write ASCII spaces instead"


def validate(tmp_path: Path, text: str, *lang: str) -> tuple[int, list[str]]:
    """Exit code and output lines of `govmedia validate` on `text` as config.yaml, in Chinese
    (the default) or with the given `--lang`."""
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    args = [*(("--lang", lang[0]) if lang else ()), "validate", "-c", str(path)]
    result = CliRunner().invoke(main, args, env=CHINESE)
    name = str(path)
    return result.exit_code, [
        line.replace(name, "config.yaml") for line in result.output.splitlines()
    ]


def test_a_valid_ledger_passes(tmp_path: Path):
    code, lines = validate(tmp_path, BASE)
    assert code == 0, lines


# ---------------------------------------------------------------------------------------------
# Full-width colon and space


FULLWIDTH = [
    pytest.param(
        BASE.replace("    name: 博爱县公安局", "    name： 公安局"),
        [
            "config.yaml:5: YAML 格式错误：找不到应有的冒号“:”（键后应为半角冒号加空格）",
            f"config.yaml:4: {COLON_ZH}",
        ],
        [
            "config.yaml:5: YAML syntax: could not find expected ':'",
            f"config.yaml:4: {COLON_EN}",
        ],
        id="name-colon",
    ),
    pytest.param(
        BASE.replace(
            '        owner: {name: 张伟, phone: "13903910011"}',
            '        owner：张三\n        phone: "13903910011"',
        ),
        [
            "config.yaml:12: YAML 格式错误：找不到应有的冒号“:”（键后应为半角冒号加空格）",
            f"config.yaml:11: {COLON_ZH}",
        ],
        [
            "config.yaml:12: YAML syntax: could not find expected ':'",
            f"config.yaml:11: {COLON_EN}",
        ],
        id="owner-colon",
    ),
    pytest.param(
        BASE.replace("jurisdiction: 博爱县", "jurisdiction：博爱县"),
        [
            "config.yaml:2: YAML 格式错误：此处不能出现“键: 值”（请检查这一行和上一行的冒号与缩进）",
            f"config.yaml:1: {COLON_ZH}",
        ],
        [
            "config.yaml:2: YAML syntax: mapping values are not allowed in this context",
            f"config.yaml:1: {COLON_EN}",
        ],
        id="first-line-colon",
    ),
    pytest.param(
        BASE.replace("{name: 张伟,", "{name：张伟,"),
        [
            f"config.yaml:11: {P}.owner.name: 缺少此项；请添加 `name:`（姓名）",
            f"config.yaml:11: {P}.owner.name：张伟: 未知的键；是否应为 `name`？",
            f"config.yaml:11: {COLON_ZH}",
        ],
        [
            f"config.yaml:11: {P}.owner.name: missing; add `name:` (full name)",
            f"config.yaml:11: {P}.owner.name：张伟: unknown key; did you mean `name`?",
            f"config.yaml:11: {COLON_EN}",
        ],
        id="models-trip-on-a-key",
    ),
    pytest.param(
        "# 台账\njurisdiction：博爱县\n",
        [
            "config.yaml:1: 文件应由“键: 值”组成（如 jurisdiction: …）",
            f"config.yaml:2: {COLON_ZH}",
        ],
        [
            "config.yaml:1: the file must be a mapping of keys (jurisdiction: …)",
            f"config.yaml:2: {COLON_EN}",
        ],
        id="the-whole-file-is-one-text",
    ),
    pytest.param(  # a tag: read by ruamel.yaml, whose lines name the line too
        "jurisdiction: !!str 博爱县\ndepartments:\n  - {id：gaj, name: 公安局}\n",
        [
            "config.yaml:3: departments[0].id: 缺少此项；请添加 `id:`（唯一编号：小写字母、数字和“-”）",
            "config.yaml:3: departments[0].id：gaj: 未知的键；此处可用：id, name, level, contact, accounts",
            f"config.yaml:3: {COLON_ZH}",
        ],
        [
            "config.yaml:3: departments[0].id: missing; add `id:` (unique id: lowercase letters, digits, '-')",
            "config.yaml:3: departments[0].id：gaj: unknown key; allowed here: id, name, level, contact, accounts",
            f"config.yaml:3: {COLON_EN}",
        ],
        id="ruamel-reader",
    ),
    pytest.param(
        BASE.replace("        platform: weibo", "　　　　　　　　platform: weibo"),
        [
            "config.yaml:10: YAML 格式错误：此处不能出现“键: 值”（请检查这一行和上一行的冒号与缩进）",
            f"config.yaml:9: {SPACE_ZH}",
        ],
        [
            "config.yaml:10: YAML syntax: mapping values are not allowed in this context",
            f"config.yaml:9: {SPACE_EN}",
        ],
        id="indent-space",
    ),
    pytest.param(
        BASE.replace("        platform: weibo", "        platform:　weibo"),
        [
            "config.yaml:10: YAML 格式错误：找不到应有的冒号“:”（键后应为半角冒号加空格）",
            f"config.yaml:9: {SPACE_ZH}",
        ],
        [
            "config.yaml:10: YAML syntax: could not find expected ':'",
            f"config.yaml:9: {SPACE_EN}",
        ],
        id="space-after-colon",
    ),
]


@pytest.mark.parametrize(("text", "chinese", "english"), FULLWIDTH)
def test_a_full_width_colon_or_space_is_named_on_its_own_line(
    tmp_path: Path, text: str, chinese: list[str], english: list[str]
):
    code, lines = validate(tmp_path, text)
    assert code == 2
    assert lines[:-1] == chinese  # the hint follows its problem; the summary line comes last
    code, lines = validate(tmp_path, text, "en")
    assert code == 2
    assert lines[:-1] == english


def test_a_full_width_colon_inside_a_value_is_text(tmp_path: Path):
    text = BASE.replace("name: 博爱公安", "name: 博爱：公安")
    assert validate(tmp_path, text)[0] == 0
    # …and a problem elsewhere on such a line gets no full-width hint.
    text = BASE.replace("platform: weibo", "platform: 博爱：weibo")
    code, lines = validate(tmp_path, text)
    assert code == 2
    assert not any("全角" in line for line in lines), lines


# ---------------------------------------------------------------------------------------------
# Dates and true/false


@pytest.mark.parametrize(
    ("written", "fixed"),
    [
        ("2026-11-1", "2026-11-01"),
        ("2026/11/01", "2026-11-01"),
        ("2026年11月1日", "2026-11-01"),
        ("2019.3.5", "2019-03-05"),
        ("２０１９－０３－０５", "2019-03-05"),
        ("20190305", "2019-03-05"),
    ],
)
def test_a_date_written_another_way_says_how_to_write_it(tmp_path: Path, written: str, fixed: str):
    text = BASE.replace("filed_on: 2019-03-05", f"filed_on: {written}")
    quoted = f"'{written}'" if not written.isdigit() else written
    code, lines = validate(tmp_path, text)
    assert code == 2
    assert lines[0] == f"config.yaml:13: {P}.filed_on: 日期格式不对：{quoted}，写作 {fixed}"
    code, lines = validate(tmp_path, text, "en")
    assert code == 2
    assert lines[0] == f"config.yaml:13: {P}.filed_on: not a date: {quoted}; write {fixed}"


def test_every_date_field_gets_the_correction(tmp_path: Path):
    text = (
        BASE.replace("opened_on: 2019-03-01", "opened_on: 2019/3/1")
        + "        status: closed\n"
        + "        closure:\n"
        + "          reason: 合并\n"
        + "          approved_on: 2020年5月6日\n"
        + "          deregistered_on: 2020-5-20\n"
        + "          filed_on: 2020/05/21\n"
        + "          certificate: 博政关〔2020〕1号\n"
    )
    code, lines = validate(tmp_path, text)
    assert code == 2
    assert lines[:4] == [
        f"config.yaml:12: {P}.opened_on: 日期格式不对：'2019/3/1'，写作 2019-03-01",
        f"config.yaml:17: {P}.closure.approved_on: 日期格式不对：'2020年5月6日'，写作 2020-05-06",
        f"config.yaml:18: {P}.closure.deregistered_on: 日期格式不对：'2020-5-20'，写作 2020-05-20",
        f"config.yaml:19: {P}.closure.filed_on: 日期格式不对：'2020/05/21'，写作 2020-05-21",
    ]


def test_a_day_not_on_the_calendar_is_not_corrected(tmp_path: Path):
    code, lines = validate(tmp_path, BASE.replace("2019-03-05", "2019/2/30"))
    assert code == 2
    assert lines[0] == f"config.yaml:13: {P}.filed_on: '2019/2/30' 不是日历上的日期；请核对月份和日"


@pytest.mark.parametrize(
    ("written", "meant"), [("是", "true"), ("否", "false"), ("对", "true"), ("无", "false")]
)
def test_yes_and_no_in_chinese_suggest_true_or_false(tmp_path: Path, written: str, meant: str):
    text = BASE + f"        supervised: {{national: {written}}}\n"
    code, lines = validate(tmp_path, text)
    assert code == 2
    assert lines[0] == (
        f"config.yaml:14: {P}.supervised.national: '{written}' 不是 true 或 false；请写 {meant}"
    )
    code, lines = validate(tmp_path, text, "en")
    assert lines[0] == (
        f"config.yaml:14: {P}.supervised.national: '{written}' is not true or false; write {meant}"
    )


# ---------------------------------------------------------------------------------------------
# Everything else in Chinese, with English on request


def test_problems_are_chinese_by_default_and_english_on_request(tmp_path: Path):
    text = (
        BASE.replace('owner: {name: 张伟, phone: "13903910011"}', "owner: {name: 张伟}")
        .replace("platform: weibo", "platform: 微博")
        .replace("level: county", "level: county\n    levle: x")
        + "policy: {warn_after_days: 400, require_exception_basis: 也许}\n"
    )
    code, lines = validate(tmp_path, text)
    assert code == 2
    assert lines == [
        "config.yaml:6: departments[gaj].levle: 未知的键；是否应为 `level`？",
        f"config.yaml:10: {P}.platform: '微博' 不在可选值 wechat, weibo, douyin, kuaishou, "
        "toutiao, bilibili, xiaohongshu, website, other 之中；是否应为 weibo？",
        f"config.yaml:12: {P}.owner: 请填写电话或电子邮箱（责任到人）",
        "config.yaml:15: policy.require_exception_basis: '也许' 不是 true 或 false；"
        "是写 true，否写 false",
        "config.yaml:15: policy.warn_after_days: 应在 1 到 365 天之间，现为 400",
        "config.yaml：5 个问题，台账无效",
    ]
    code, lines = validate(tmp_path, text, "en")
    assert (
        lines[4]
        == "config.yaml:15: policy.warn_after_days: must be between 1 and 365 days, got 400"
    )
    assert lines[2] == f"config.yaml:12: {P}.owner: add a phone or an e-mail (责任到人)"


BAD_VALUES = [
    "jurisdiction: ''",
    "jurisdiction: [1, 2]",
    "timezone: Mars/Base",
    "store: postgresql://u:secret@db/x",
    "policy: {warn_after_days: 1.5, veto_after_days: abc, zombie_after_days: .inf}",
    "policy: {warn_after_days: 30, veto_after_days: 20}",
    "policy: 7",
    "crawl: {timeout: -1, user_agent: 5, retries: 99999999999999999999999}",
    "sources: {weibo: {base_url: ftp://x, delay: [1]}}",
    "schedule: {crawl_at: [1050, '25:00'], weekly_report: {day: mon}}",
    "logging: {level: loud, format: 3}",
    "reports: {formats: [], site_url: x}",
    "notify: {channels: [{id: A, kind: mail}, {id: m, kind: email, url_env: x}]}",
    "notify: {supervisors: [{name: 李四, phone: '12', email: nope}]}",
    "discover: {sources: [douyin], max_keywords: 0}",
    "departments: {gaj: 1}",
    "departments: [1, {id: 'X Y', name: '', level: city, accounts: [{}]}]",
    "departments: [{id: x, name: 公安局, accounts: [{id: x-1, owner: {name: 张三, phone: '13903910011'}}]}]",
]


@pytest.mark.parametrize("line", BAD_VALUES)
def test_no_english_reaches_the_clerk(tmp_path: Path, line: str):
    text = (
        "jurisdiction: 博爱县\n" + line + "\n"
        if not line.startswith("jurisdiction")
        else line + "\n"
    )
    code, lines = validate(tmp_path, text)
    assert code == 2
    problems = [ln for ln in lines[:-1] if not ln.startswith("警告")]
    assert problems, lines
    for problem in problems:
        message = problem.split(": ", 2)[-1]
        assert CJK.search(message), problem
        assert "Input should" not in message and "Value error" not in message, problem
        # Three English words in a row, outside quoted values and `code`, are a sentence.
        words = re.sub(r"'[^']*'|`[^`]*`", "", message)
        assert not re.search(r"\b[a-z]{2,} [a-z]{2,} [a-z]{2,}\b", words), problem


def test_yaml_syntax_problems_are_chinese(tmp_path: Path):
    code, lines = validate(tmp_path, "jurisdiction: 博爱县\ndepartments:\n\t- id: gaj\n")
    assert code == 2
    assert lines[0] == (
        "config.yaml:3: YAML 格式错误：出现了不能出现在此处的字符（如用 Tab 缩进；请改用空格）"
    )
    code, lines = validate(tmp_path, "jurisdiction: 博爱县\njurisdiction: 孟州市\n")
    assert (
        lines[0]
        == "config.yaml:2: YAML 格式错误：键 'jurisdiction' 重复；同一层级中每个键只能出现一次"
    )


def test_every_unit_of_the_models_is_in_the_catalogue():
    units = {
        info.json_schema_extra["unit"]
        for model in vars(models).values()
        if isinstance(model, type) and issubclass(model, BaseModel)
        for info in model.model_fields.values()
        if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get("unit")
    }
    assert units and units <= set(UNITS)
