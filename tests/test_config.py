"""Validation messages a clerk can act on: each message's text and line are pinned here."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from registry.config import ConfigError, load_config, validate_text
from tests.conftest import TODAY

BASE = """\
jurisdiction: 博爱县
departments:
  - id: gaj
    name: 博爱县公安局
    level: county
    accounts:
      - id: gaj-weibo
        name: 博爱公安
        platform: weibo
        uid: "2951237460"
        owner: {name: 张伟, phone: "13903910011"}
        opened_on: 2019-03-01
        filed_on: 2019-03-05
"""

# A second account appended to BASE's department (its lines start at 14).
SECOND = """\
      - id: gaj-wechat
        name: 博爱公安
        platform: wechat
        fakeid: "MzI0NTE2MzE3OA=="
        owner: {name: 张伟, phone: "13903910011"}
        filed_on: 2019-03-05
"""


def problems(text: str, *, today: dt.date = TODAY) -> tuple[list[str], list[str]]:
    """(errors, warnings) of config text, named config.yaml."""
    try:
        loaded = validate_text(text.encode("utf-8"), source_name="config.yaml", today=today)
    except ConfigError as exc:
        return exc.lines, exc.warnings
    return [], loaded.warnings


def test_base_is_valid():
    assert problems(BASE) == ([], [])


P = "departments[gaj].accounts[gaj-weibo]"

CASES = [
    pytest.param(
        BASE.replace('owner: {name: 张伟, phone: "13903910011"}', "owner: {name: 张伟}"),
        [f"config.yaml:11: {P}.owner: add a phone or an e-mail (责任到人)"],
        id="owner-without-phone",
    ),
    pytest.param(
        BASE.replace('        owner: {name: 张伟, phone: "13903910011"}\n', ""),
        [f"config.yaml:7: {P}.owner: missing; add `owner:` (the person responsible (责任到人))"],
        id="missing-key-points-at-its-mapping",
    ),
    pytest.param(
        BASE.replace("        platform: weibo\n", "        platfrom: weibo\n"),
        [
            f"config.yaml:7: {P}.platform: missing; add `platform:` (where the account lives)",
            f"config.yaml:9: {P}.platfrom: unknown key; did you mean `platform`?",
        ],
        id="unknown-key-did-you-mean",
    ),
    pytest.param(
        BASE.replace("jurisdiction: 博爱县\n", "jurisdiction: 博爱县\npolcy: {}\n"),
        ["config.yaml:2: polcy: unknown key; did you mean `policy`?"],
        id="unknown-top-level-key",
    ),
    pytest.param(
        BASE + "        xyz: 1\n",
        [
            f"config.yaml:14: {P}.xyz: unknown key; allowed here: id, name, platform, source, "
            "uid, fakeid, mid, url, selectors, owner, opened_on, filed_on, supervised, "
            "exception_basis, status, closure, note"
        ],
        id="unknown-key-no-close-match",
    ),
    pytest.param(
        BASE.replace("platform: weibo", "platform: weixin"),
        [
            f"config.yaml:9: {P}.platform: 'weixin' is not one of wechat, weibo, douyin, "
            "kuaishou, toutiao, bilibili, xiaohongshu, website, other; did you mean wechat?"
        ],
        id="platform-alias",
    ),
    pytest.param(
        BASE.replace("platform: weibo", "platform: 抖音"),
        [
            f"config.yaml:9: {P}.platform: '抖音' is not one of wechat, weibo, douyin, "
            "kuaishou, toutiao, bilibili, xiaohongshu, website, other; did you mean douyin?"
        ],
        id="platform-chinese-alias",
    ),
    pytest.param(
        BASE.replace('        uid: "2951237460"\n', ""),
        [f"config.yaml:7: {P}: source weibo needs `uid:`"],
        id="source-needs-identifier",
    ),
    pytest.param(
        BASE.replace("id: gaj-weibo", "id: GAJ_Weibo"),
        [
            "config.yaml:7: departments[gaj].accounts[GAJ_Weibo].id: 'GAJ_Weibo': use "
            "lowercase letters, digits and '-' only (e.g. gaj-weibo)"
        ],
        id="bad-id",
    ),
    pytest.param(
        BASE + SECOND.replace("id: gaj-wechat", "id: gaj-weibo"),
        [
            f"config.yaml:14: {P}.id: duplicate account id 'gaj-weibo' (also in department "
            "'gaj'); ids are unique across the file"
        ],
        id="duplicate-account-id",
    ),
    pytest.param(
        BASE + BASE.split("departments:\n")[1].replace("id: gaj-weibo", "id: gaj-weibo-2"),
        [
            "config.yaml:14: departments[gaj].id: duplicate department id 'gaj'; ids are unique",
            "config.yaml:21: departments[gaj].accounts[gaj-weibo-2].uid: '2951237460' is "
            "already registered as account 'gaj-weibo'; one account, one entry",
        ],
        id="duplicate-department-and-identifier",
    ),
    pytest.param(
        BASE.replace("filed_on: 2019-03-05", "filed_on: 2026-12-01"),
        [
            f"config.yaml:13: {P}.filed_on: 2026-12-01 is in the future (today is 2026-11-28); "
            "fix the date"
        ],
        id="future-date",
    ),
    pytest.param(
        BASE.replace("filed_on: 2019-03-05", "filed_on: 2019-02-05"),
        [f"config.yaml:13: {P}.filed_on: 2019-02-05 is before opened_on (2019-03-01)"],
        id="filed-before-opened",
    ),
    pytest.param(
        BASE.replace("opened_on: 2019-03-01", "opened_on: 2019-02-30"),
        [
            f"config.yaml:12: {P}.opened_on: '2019-02-30' is not a day of the calendar; "
            "check the month and the day"
        ],
        id="impossible-date",
    ),
    pytest.param(
        BASE.replace("opened_on: 2019-03-01", "opened_on: 2019/03/01"),
        [f"config.yaml:12: {P}.opened_on: not a date: '2019/03/01'; write 2019-03-01"],
        id="date-format",
    ),
    pytest.param(
        BASE + "        status: closing\n",
        [
            f"config.yaml:7: {P}: status closing needs closure.reason, closure.approved_on; add "
            "them, or run `govmedia close gaj-weibo --reason … --approved-on …`"
        ],
        id="closing-without-dates",
    ),
    pytest.param(
        BASE
        + "        status: closed\n        closure: {reason: 停止运营, approved_on: 2026-06-10}\n",
        [
            f"config.yaml:7: {P}: status closed needs closure.deregistered_on, closure.filed_on; "
            "add them, or run `govmedia close gaj-weibo --deregistered-on … --filed-on …`"
        ],
        id="closed-without-dates",
    ),
    pytest.param(
        BASE
        + "        status: closing\n"
        + "        closure: {reason: 停止运营, approved_on: 2026-06-10, notice_on: 2026-06-01}\n",
        [
            f"config.yaml:15: {P}.closure.notice_on: 2026-06-01 is before closure.approved_on (2026-06-10)"
        ],
        id="closure-dates-out-of-order",
    ),
    pytest.param(
        BASE.replace("level: county", "level: department"),
        [
            f"config.yaml:7: {P}.exception_basis: a department's own account needs "
            "`exception_basis:`, why it may run one (豫政办明电〔2019〕28号)"
        ],
        id="exception-basis",
    ),
    pytest.param(
        BASE.replace(
            "jurisdiction: 博爱县\n",
            "jurisdiction: 博爱县\npolicy:\n  one_account_per_platform: error\n",
        )
        + SECOND.replace("platform: wechat", "platform: weibo").replace(
            'fakeid: "MzI0NTE2MzE3OA=="', 'uid: "1234567890"'
        ),
        [
            "config.yaml:18: departments[gaj].accounts[gaj-wechat].platform: 博爱县公安局 already "
            "runs 'gaj-weibo' on weibo (one unit, one account per platform, 国办发〔2018〕123号)"
        ],
        id="one-account-per-platform-error",
    ),
    pytest.param(
        BASE.replace(
            "jurisdiction: 博爱县\n", "jurisdiction: 博爱县\npolicy:\n  veto_after_days: 0\n"
        ),
        ["config.yaml:3: policy.veto_after_days: must be between 1 and 365 days, got 0"],
        id="bound",
    ),
    pytest.param(
        BASE.replace(
            "jurisdiction: 博爱县\n", "jurisdiction: 博爱县\npolicy:\n  warn_after_days: seven\n"
        ),
        ["config.yaml:3: policy.warn_after_days: 'seven' is not a whole number"],
        id="not-a-number",
    ),
    pytest.param(
        BASE.replace(
            "jurisdiction: 博爱县\n",
            "jurisdiction: 博爱县\nstore: postgresql+psycopg://gm:s3cret@db/gm\n",
        ),
        [
            "config.yaml:2: store: remove the password from the URL; set it in the environment "
            "(PGPASSWORD) instead"
        ],
        id="password-in-store-url",
    ),
    pytest.param(
        BASE.replace('owner: {name: 张伟, phone: "13903910011"}', "owner: 张伟"),
        [f"config.yaml:11: {P}.owner: must be a mapping (key: value), got '张伟'"],
        id="scalar-for-mapping",
    ),
    pytest.param(
        BASE.replace('phone: "13903910011"', 'phone: "139-0391"'),
        [
            f"config.yaml:11: {P}.owner.phone: not a phone number: '139-0391'; write 13800000000 or 0391-1234567"
        ],
        id="bad-phone",
    ),
    pytest.param(
        "jurisdiction: 博爱县\ndepartments: {}\n",
        ["config.yaml:2: departments: must be a list (items start with '- '), got {}"],
        id="mapping-for-list",
    ),
    pytest.param(
        "timezone: Asia/Beijing\ndepartments: []\n",
        [
            "config.yaml:1: jurisdiction: missing; add `jurisdiction:` (shown on reports, e.g. 博爱县)",
            "config.yaml:1: timezone: unknown time zone 'Asia/Beijing'; use Asia/Shanghai",
        ],
        id="top-level-missing-and-zone",
    ),
    pytest.param(
        "- a\n- b\n",
        ["config.yaml:1: the file must be a mapping of keys (jurisdiction: …)"],
        id="not-a-mapping",
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_error_messages(text: str, expected: list[str]):
    errors, _ = problems(text)
    assert errors == expected


def test_every_problem_at_once():
    """Model errors, ledger-wide checks and warnings all come out of one run."""
    text = (
        BASE.replace("platform: weibo", "platform: weixin")
        + SECOND
        + SECOND.replace("filed_on: 2019-03-05", "filed_on: 2030-01-01")
    )
    errors, warnings = problems(text)
    assert [e.split(": ", 1)[0] for e in errors] == [
        "config.yaml:9",  # platform weixin
        "config.yaml:20",  # duplicate id gaj-wechat
        "config.yaml:23",  # the same fakeid registered twice
        "config.yaml:25",  # future filed_on
    ]
    assert "duplicate account id 'gaj-wechat'" in errors[1]
    assert "is already registered as account 'gaj-wechat'" in errors[2]
    assert "is in the future" in errors[3]


WARNING_CASES = [
    pytest.param(
        BASE.replace("        filed_on: 2019-03-05\n", ""),
        [f"config.yaml:7: {P}.filed_on: not filed yet (未报备登记); add filed_on"],
        id="unfiled",
    ),
    pytest.param(
        BASE
        + SECOND.replace("platform: wechat", "platform: weibo").replace(
            'fakeid: "MzI0NTE2MzE3OA=="', 'uid: "1234567890"'
        ),
        [
            "config.yaml:16: departments[gaj].accounts[gaj-wechat].platform: 博爱县公安局 already "
            "runs 'gaj-weibo' on weibo (one unit, one account per platform, 国办发〔2018〕123号)"
        ],
        id="one-account-per-platform-warn",
    ),
    pytest.param(
        BASE
        + "        status: closed\n"
        + "        closure: {reason: 停止运营, approved_on: 2026-06-10, deregistered_on: 2026-07-01, filed_on: 2026-07-03}\n",
        [
            f"config.yaml:15: {P}.closure: closed without a certificate number (关停证明); add "
            "closure.certificate"
        ],
        id="closed-without-certificate",
    ),
]


@pytest.mark.parametrize(("text", "expected"), WARNING_CASES)
def test_warnings_pass_validation(text: str, expected: list[str]):
    errors, warnings = problems(text)
    assert errors == []
    assert warnings == expected


def test_closed_accounts_may_share_an_identifier():
    """A closed account's uid may be registered again (a relaunch under a new entry)."""
    closed = (
        BASE.replace("id: gaj-weibo", "id: gaj-weibo-old")
        + "        status: closed\n"
        + "        closure: {reason: 停止运营, approved_on: 2026-06-10, deregistered_on: 2026-07-01,"
        + " filed_on: 2026-07-03, certificate: 博政媒关〔2026〕3号}\n"
    )
    errors, _ = problems(closed + BASE.split("    accounts:\n")[1])
    assert errors == []


def test_wechat_accounts_searched_by_name_must_differ():
    text = (
        BASE
        + SECOND.replace('        fakeid: "MzI0NTE2MzE3OA=="\n', "")
        + SECOND.replace("id: gaj-wechat", "id: gaj-wechat-2").replace(
            '        fakeid: "MzI0NTE2MzE3OA=="\n', ""
        )
    )
    errors, _ = problems(text)
    assert errors == [
        "config.yaml:20: departments[gaj].accounts[gaj-wechat-2].name: '博爱公安' is already "
        "registered as account 'gaj-wechat' (searched by name: add fakeid:); one account, one entry"
    ]


# ---------------------------------------------------------------------------------------------
# The file itself


def test_malformed_yaml_names_its_line(tmp_path: Path):
    path = tmp_path / "config.yaml"
    path.write_text(BASE.replace("    level: county\n", "    level: county\n   bad: [\n"), "utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, today=TODAY)
    [line] = caught.value.lines
    assert line == f"{path}:6: YAML syntax: did not find expected '-' indicator"


def test_tab_indentation(tmp_path: Path):
    path = tmp_path / "config.yaml"
    path.write_text("jurisdiction: 博爱县\ndepartments:\n\t- id: gaj\n", "utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, today=TODAY)
    assert caught.value.lines == [
        f"{path}:3: YAML syntax: found character that cannot start any token"
    ]


def test_duplicate_yaml_key(tmp_path: Path):
    path = tmp_path / "config.yaml"
    path.write_text(
        BASE.replace("    level: county\n", "    level: county\n    name: 又一个\n"), "utf-8"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path, today=TODAY)
    assert caught.value.lines == [
        f"{path}:6: YAML syntax: duplicate key 'name'; each key appears once in a mapping"
    ]


def test_not_utf8(tmp_path: Path):
    path = tmp_path / "config.yaml"
    path.write_bytes(BASE.encode("gb18030"))
    with pytest.raises(ConfigError) as caught:
        load_config(path, today=TODAY)
    assert caught.value.lines == [f"{path}:1: not UTF-8 text (byte 0xb2); save the file as UTF-8"]


def test_missing_file(tmp_path: Path):
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.lines == [
        f"{path}: no such file; create it (see README.md) or pass -c PATH"
    ]


def test_byte_order_mark_is_accepted(tmp_path: Path):
    path = tmp_path / "config.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + BASE.encode("utf-8"))
    assert load_config(path, today=TODAY).config.jurisdiction == "博爱县"


def test_empty_file_says_what_is_missing(tmp_path: Path):
    path = tmp_path / "config.yaml"
    path.write_text("# nothing yet\n", "utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.lines == [
        f"{path}:1: jurisdiction: missing; add `jurisdiction:` (shown on reports, e.g. 博爱县)"
    ]


def test_sample_ledger_line_numbers(sample_config: Path):
    """The two sample warnings point at the '- id:' line of the account that lacks filed_on."""
    loaded = load_config(sample_config, today=TODAY)
    lines = sample_config.read_text("utf-8").splitlines()
    assert len(loaded.warnings) == 2
    for warning in loaded.warnings:
        line = int(warning.split(":")[1])
        account_id = warning.split("accounts[")[1].split("]")[0]
        assert lines[line - 1].strip() == f"- id: {account_id}"
