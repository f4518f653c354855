"""register and close edit config.yaml safely: comments and layout kept, validated first, atomic,
and on any error the file is byte-identical."""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from govmedia.cli import main
from registry.config import load_config
from registry.editing import (
    ClosureUpdate,
    EditError,
    NewAccount,
    close_account,
    register_account,
)
from tests.conftest import TODAY

NEW = dict(
    department="gaj",
    id="gaj-toutiao",
    name="博爱公安",
    platform="toutiao",
    owner_name="陈静",
    owner_phone="13903910012",
    opened_on=dt.date(2026, 11, 20),
    exception_basis="公安机关依法开设",
)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def added_and_removed(before: str, after: str) -> tuple[list[str], list[str]]:
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    return (
        [line[2:] for line in diff if line.startswith("+ ")],
        [line[2:] for line in diff if line.startswith("- ")],
    )


def test_register_appends_and_keeps_everything_else(sample_config: Path):
    before = sample_config.read_text("utf-8")
    result = register_account(sample_config, NewAccount(**NEW), today=TODAY)
    after = sample_config.read_text("utf-8")
    added, removed = added_and_removed(before, after)
    assert removed == []
    assert added == [
        "      - id: gaj-toutiao",
        "        name: 博爱公安",
        "        platform: toutiao",
        '        owner: {name: 陈静, phone: "13903910012"}',
        "        opened_on: 2026-11-20",
        "        exception_basis: 公安机关依法开设",
    ]
    # the new account sits right after gaj's last one, and the blank line before jyj stays
    lines = after.splitlines()
    at = lines.index("      - id: gaj-toutiao")
    assert lines[at + 6 : at + 8] == ["", "  - id: jyj"]
    assert result.written
    assert result.warnings == [
        f"{sample_config}:{at + 1}: departments[gaj].accounts[gaj-toutiao].filed_on: not filed "
        "yet (未报备登记); add filed_on"
    ]
    _, account = load_config(sample_config, today=TODAY).config.account("gaj-toutiao")
    assert account.owner.phone == "13903910012"


def test_register_a_new_department_at_the_end(sample_config: Path):
    new = NewAccount(
        **{**NEW, "department": "tjj", "id": "tjj-wechat", "platform": "wechat"},
        department_name="博爱县统计局",
        level="department",
        fakeid="MzkxMjM0NTY3OA==",
        filed_on=dt.date(2026, 11, 25),
        national=True,
        provincial=False,
    )
    register_account(sample_config, new, today=TODAY)
    tail = sample_config.read_text("utf-8").splitlines()[-14:]
    assert (
        tail
        == [
            "        exception_basis: 县级融媒体中心依职能开设",
            "  - id: tjj",
            "    name: 博爱县统计局",
            "    level: department",
            "    accounts:",
            "      - id: tjj-wechat",
            "        name: 博爱公安",
            "        platform: wechat",
            '        fakeid: "MzkxMjM0NTY3OA=="',
            '        owner: {name: 陈静, phone: "13903910012"}',
            "        opened_on: 2026-11-20",
            "        filed_on: 2026-11-25",
            "        supervised: {national: true, provincial: false}",
            "        exception_basis: 公安机关依法开设",
            "",
        ][:-1]
        + tail[-1:]
        or tail
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"owner_phone": "12345"}, "not a phone number: '12345'"),
        ({"id": "gaj-weibo"}, "duplicate account id 'gaj-weibo'"),
        ({"id": "Bad_Id"}, "use lowercase letters, digits and '-' only"),
        ({"opened_on": dt.date(2027, 1, 1)}, "2027-01-01 is in the future"),
        ({"platform": "weibo", "uid": "2951237460"}, "'2951237460' is already registered"),
        ({"owner_phone": None}, "missing: --owner-phone or --owner-email"),
    ],
)
def test_an_invalid_registration_writes_nothing(sample_config: Path, change, expected):
    digest = sha(sample_config)
    with pytest.raises(EditError) as caught:
        register_account(sample_config, NewAccount(**{**NEW, **change}), today=TODAY)
    assert any(expected in line for line in caught.value.lines), caught.value.lines
    assert sha(sample_config) == digest
    assert [p.name for p in sample_config.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_editing_an_invalid_ledger_is_refused(sample_config: Path):
    text = sample_config.read_text("utf-8").replace("platform: bilibili", "platform: bilibly", 1)
    sample_config.write_text(text, "utf-8")
    digest = sha(sample_config)
    with pytest.raises(EditError) as caught:
        register_account(sample_config, NewAccount(**NEW), today=TODAY)
    assert caught.value.lines[-1] == (
        f"{sample_config}: fix these problems first (govmedia validate); nothing was changed"
    )
    assert "did you mean bilibili?" in caught.value.lines[0]
    assert sha(sample_config) == digest


def test_close_in_two_steps(sample_config: Path):
    first = close_account(
        sample_config,
        "gaj-douyin",
        ClosureUpdate(reason="并入博爱公安微博", approved_on=dt.date(2026, 11, 10)),
        today=TODAY,
    )
    assert first.summary == [
        "gaj-douyin: active → closing",
        "gaj-douyin becomes closed once these are recorded: --deregistered-on, --filed-on",
    ]
    _, account = load_config(sample_config, today=TODAY).config.account("gaj-douyin")
    assert account.status == "closing"
    second = close_account(
        sample_config,
        "gaj-douyin",
        ClosureUpdate(
            notice_on=dt.date(2026, 11, 12),
            deregistered_on=dt.date(2026, 11, 20),
            filed_on=dt.date(2026, 11, 25),
            certificate="博政媒关〔2026〕5号",
        ),
        today=TODAY,
    )
    assert second.summary == ["gaj-douyin: closing → closed"]
    text = sample_config.read_text("utf-8")
    block = text.split("      - id: gaj-douyin\n")[1].split("\n\n")[0].splitlines()
    assert block[-9:] == [
        "        exception_basis: 公安机关依法开设（豫政办明电〔2019〕28号第三条）",
        "        status: closed",
        "        closure:",
        "          reason: 并入博爱公安微博",
        "          approved_on: 2026-11-10",
        "          notice_on: 2026-11-12",
        "          deregistered_on: 2026-11-20",
        "          filed_on: 2026-11-25",
        "          certificate: 博政媒关〔2026〕5号",
    ]
    assert "\n\n  - id: jyj\n" in text  # the blank line before the next department is kept


def test_close_fills_in_the_sample_closing_account(sample_config: Path):
    result = close_account(
        sample_config,
        "wjw-weibo",
        ClosureUpdate(deregistered_on=dt.date(2026, 11, 20), filed_on=dt.date(2026, 11, 25)),
        today=TODAY,
    )
    assert result.summary == ["wjw-weibo: closing → closed"]
    assert result.warnings == [
        f"{sample_config}:145: departments[wjw].accounts[wjw-weibo].closure: closed without a "
        "certificate number (关停证明); add closure.certificate"
    ]


def test_close_corrects_a_date(sample_config: Path):
    result = close_account(
        sample_config, "wjw-weibo", ClosureUpdate(approved_on=dt.date(2026, 11, 3)), today=TODAY
    )
    assert result.summary[1] == "wjw-weibo: closure.approved_on 2026-11-02 → 2026-11-03"


@pytest.mark.parametrize(
    ("account", "update", "expected"),
    [
        (
            "gaj-weibo",
            ClosureUpdate(approved_on=dt.date(2026, 11, 1)),
            ["gaj-weibo: add --reason TEXT (why the account is closed)"],
        ),
        (
            "gaj-weibo",
            ClosureUpdate(reason="停止运营"),
            ["gaj-weibo: add --approved-on DATE (the day the closure was approved)"],
        ),
        (
            "gaj-weibo",
            ClosureUpdate(),
            ["nothing to record: pass --reason and --approved-on, or the later dates"],
        ),
        ("gaj-weibu", ClosureUpdate(reason="x"), None),
        (
            "wjw-weibo",
            ClosureUpdate(deregistered_on=dt.date(2026, 10, 1)),
            None,  # before the approval on 2026-11-02
        ),
    ],
)
def test_a_refused_close_writes_nothing(sample_config: Path, account, update, expected):
    digest = sha(sample_config)
    with pytest.raises(EditError) as caught:
        close_account(sample_config, account, update, today=TODAY)
    if expected is not None:
        assert caught.value.lines == expected
    elif account == "gaj-weibu":
        assert caught.value.lines == [
            f"no account 'gaj-weibu' in {sample_config}; did you mean gaj-weibo (博爱公安)?"
        ]
    else:
        assert "2026-10-01 is before closure.approved_on (2026-11-02)" in caught.value.lines[0]
    assert sha(sample_config) == digest


def test_dry_run_writes_nothing(sample_config: Path):
    digest = sha(sample_config)
    result = register_account(sample_config, NewAccount(**NEW), today=TODAY, dry_run=True)
    assert sha(sample_config) == digest
    assert not result.written
    assert "+      - id: gaj-toutiao\n" in result.unified_diff()


def test_permissions_symlinks_crlf_and_bom_are_kept(tmp_path: Path, sample_config: Path):
    real = tmp_path / "ledger" / "config.yaml"
    real.parent.mkdir()
    raw = b"\xef\xbb\xbf" + sample_config.read_bytes().replace(b"\n", b"\r\n")
    real.write_bytes(raw)
    real.chmod(0o640)
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    register_account(link, NewAccount(**NEW), today=TODAY)
    assert link.is_symlink()
    assert oct(real.stat().st_mode & 0o777) == "0o640"
    after = real.read_bytes()
    assert after.startswith(b"\xef\xbb\xbf")
    assert after.count(b"\n") == after.count(b"\r\n")
    assert after.replace(b"\r\n", b"\n").removeprefix(b"\xef\xbb\xbf") != raw
    assert b"- id: gaj-toutiao\r\n" in after


# ---------------------------------------------------------------------------------------------
# The commands


def test_register_command_without_a_terminal_names_what_is_missing(sample_config: Path):
    digest = sha(sample_config)
    result = CliRunner().invoke(
        main, ["register", "-c", str(sample_config), "--department", "gaj", "--platform", "toutiao"]
    )
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == (
        "missing: --name, --id, --owner-name, --owner-phone or --owner-email, "
        "--exception-basis; pass them as options (govmedia register --help), or run it on a "
        "terminal to be asked"
    )
    assert sha(sample_config) == digest


def test_close_command(sample_config: Path):
    result = CliRunner().invoke(
        main,
        [
            "close",
            "-c",
            str(sample_config),
            "xlz-wechat",
            "--reason",
            "并入清化镇发布",
            "--approved-on",
            "2026-11-27",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "xlz-wechat: active → closing" in result.output
    assert f"{sample_config}: updated" in result.output


def test_close_command_bad_date(sample_config: Path):
    digest = sha(sample_config)
    result = CliRunner().invoke(
        main, ["close", "-c", str(sample_config), "xlz-wechat", "--approved-on", "27/11/2026"]
    )
    assert result.exit_code == 2
    assert "'27/11/2026' is not a date; write it as YYYY-MM-DD" in result.output
    assert sha(sample_config) == digest


def _read_until(fd: int, needle: bytes, seen: bytearray, deadline_s: float = 20.0) -> None:
    """Read a pseudo-terminal until `needle` shows up (bounded by select's timeout)."""
    while needle not in seen:
        ready, _, _ = select.select([fd], [], [], deadline_s)
        if not ready:
            raise AssertionError(f"no {needle!r} in {seen.decode(errors='replace')!r}")
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            raise AssertionError(f"closed before {needle!r}: {seen.decode()!r}") from None
        if not chunk:
            raise AssertionError(f"closed before {needle!r}: {seen.decode()!r}")
        seen.extend(chunk)


def test_register_prompts_on_a_terminal(sample_config: Path):
    """A real process on a pseudo-terminal is asked for what is missing, in order."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-c", "from govmedia.cli import main; main()"]
        + ["register", "-c", str(sample_config), "--department", "gaj", "--platform", "toutiao"],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        close_fds=True,
    )
    os.close(terminal)
    seen = bytearray()
    try:
        for prompt, answer in [
            (b"Account name", "博爱公安"),
            (b"Account id", ""),  # accept the suggested gaj-toutiao
            (b"Responsible person", "陈静"),
            (b"Their phone", ""),
            (b"Their e-mail", "chenjing@boai.gov.cn"),
            (b"Date opened", "2026-11-20"),
            (b"Date filed", ""),  # not filed yet
            (b"national supervision platform", "y"),
            (b"provincial supervision platform", ""),  # no
            (b"Why this unit", "公安机关依法开设"),
        ]:
            _read_until(controller, prompt, seen)
            os.write(controller, answer.encode() + b"\r")
        _read_until(controller, b"updated", seen)
    finally:
        assert process.wait(timeout=30) == 0, seen.decode(errors="replace")
        os.close(controller)
    assert b"[gaj-toutiao]" in seen
    _, account = load_config(sample_config, today=TODAY).config.account("gaj-toutiao")
    assert account.owner.email == "chenjing@boai.gov.cn"
    assert account.opened_on == dt.date(2026, 11, 20) and account.filed_on is None
    assert (account.supervised.national, account.supervised.provincial) == (True, False)


def test_another_layout_is_kept(tmp_path: Path):
    """Sequences not indented under their key, 4-space mappings: the edit follows the file."""
    path = tmp_path / "config.yaml"
    path.write_text(
        "jurisdiction: 博爱县   # 县名\n"
        "departments:\n"
        "- id: gaj\n"
        "  name: 博爱县公安局\n"
        "  level: county\n"
        "  accounts:\n"
        "  - id: gaj-weibo\n"
        "    name: 博爱公安\n"
        "    platform: weibo\n"
        '    uid: "2951237460"\n'
        "    owner: {name: 张伟, phone: '13903910011'}   # 值班手机\n"
        "    filed_on: 2019-03-05\n"
        "\n"
        "# 以上为公安局\n",
        "utf-8",
    )
    before = path.read_text("utf-8")
    register_account(
        path,
        NewAccount(**{**NEW, "filed_on": dt.date(2026, 11, 25)}),
        today=TODAY,
    )
    added, removed = added_and_removed(before, path.read_text("utf-8"))
    assert removed == []
    assert added[0] == "  - id: gaj-toutiao"
    assert path.read_text("utf-8").endswith(
        "    filed_on: 2026-11-25\n    exception_basis: 公安机关依法开设\n\n# 以上为公安局\n"
    )


def test_recording_the_same_closure_again_leaves_the_file_alone(sample_config: Path):
    digest = sha(sample_config)
    mtime = sample_config.stat().st_mtime_ns
    result = close_account(
        sample_config, "wjw-weibo", ClosureUpdate(approved_on=dt.date(2026, 11, 2)), today=TODAY
    )
    assert result.summary[0] == "wjw-weibo: already recorded; nothing changed"
    assert not result.written
    assert sha(sample_config) == digest and sample_config.stat().st_mtime_ns == mtime


LAYOUT = (
    "jurisdiction:   博爱县\n"
    "departments:\n"
    "  - id: jyj\n"
    "    name:    博爱县教育局   # two spaces too many, kept\n"
    "    level: department\n"
    "    accounts:\n"
    "      - {id: jyj-wechat,   name: 博爱教育, platform: wechat, owner: {name: 王芳,phone: '13903910000'},\n"
    "         opened_on: 2019-01-01, filed_on: 2019-01-02, exception_basis: 同意保留}\n"
    "  - id: gaj\n"
    "    name: 博爱县公安局\n"
    "    level: county\n"
    "    accounts:\n"
    "      - id: gaj-weibo\n"
    "        name: 博爱公安\n"
    "        platform: weibo\n"
    '        uid: "2951237460"\n'
    "        owner: {name: 张伟, phone: '13903910011'}\n"
    "        filed_on: 2019-03-05\n"
    "\n"
    "# 以上为公安局\n"
    "policy:\n"
    "  warn_after_days:    7\n"
)


def test_an_edit_rewrites_only_its_department(tmp_path: Path):
    """Only the edited department's lines are read back and written: a layout ruamel.yaml would
    normalise elsewhere (extra spaces, a flow mapping over two lines) stays byte-identical, and
    the keys after `departments:` stay where they were."""
    path = tmp_path / "config.yaml"
    path.write_text(LAYOUT, "utf-8")
    register_account(path, NewAccount(**{**NEW, "filed_on": TODAY}), today=TODAY)
    after = path.read_text("utf-8")
    jyj_end = LAYOUT.index("  - id: gaj\n")
    assert after[:jyj_end] == LAYOUT[:jyj_end]
    assert after.endswith(
        "        filed_on: 2026-11-28\n        exception_basis: 公安机关依法开设\n\n# 以上为公安局\n"
        "policy:\n  warn_after_days:    7\n"
    )
    close_account(path, "jyj-wechat", ClosureUpdate(reason="合并", approved_on=TODAY), today=TODAY)
    closed = path.read_text("utf-8")
    assert closed[closed.index("  - id: gaj\n") :] == after[after.index("  - id: gaj\n") :]
    assert closed.startswith("jurisdiction:   博爱县\ndepartments:\n")
    config = load_config(path, today=TODAY).config
    assert config.account("jyj-wechat")[1].status.value == "closing"
    assert config.account("gaj-toutiao")[1].filed_on == TODAY
    assert config.policy.warn_after_days == 7


def test_a_flow_style_ledger_is_edited_whole(tmp_path: Path):
    """No block item to cut an excerpt from: the whole text is edited, as before."""
    path = tmp_path / "config.yaml"
    path.write_text(
        "jurisdiction: 博爱县\n"
        "departments: [{id: gaj, name: 博爱县公安局, level: county, accounts: []}]\n",
        "utf-8",
    )
    register_account(path, NewAccount(**{**NEW, "filed_on": TODAY}), today=TODAY)
    config = load_config(path, today=TODAY).config
    assert [a.id for _, a in config.iter_accounts()] == ["gaj-toutiao"]


def test_registering_a_new_department_after_a_last_one_with_keys_after_it(tmp_path: Path):
    path = tmp_path / "config.yaml"
    path.write_text(LAYOUT, "utf-8")
    register_account(
        path,
        NewAccount(
            **{**NEW, "department": "rmt", "id": "rmt-toutiao", "filed_on": TODAY},
            department_name="博爱县融媒体中心",
        ),
        today=TODAY,
    )
    after = path.read_text("utf-8")
    assert after.startswith(LAYOUT[: LAYOUT.index("\n# 以上为公安局")])
    assert after.index("  - id: rmt\n") < after.index("# 以上为公安局") < after.index("policy:")
    config = load_config(path, today=TODAY).config
    assert [d.id for d in config.departments] == ["jyj", "gaj", "rmt"]


def test_an_alias_to_another_department_edits_the_whole_file(tmp_path: Path):
    """A department that uses an anchor set in another one cannot be read alone: the edit falls
    back to the whole text and still succeeds."""
    path = tmp_path / "config.yaml"
    path.write_text(
        LAYOUT.replace(
            "owner: {name: 王芳,phone: '13903910000'}",
            "owner: &who {name: 王芳, phone: '13903910000'}",
        ).replace("owner: {name: 张伟, phone: '13903910011'}", "owner: *who"),
        "utf-8",
    )
    load_config(path, today=TODAY)  # valid as written
    close_account(path, "gaj-weibo", ClosureUpdate(reason="合并", approved_on=TODAY), today=TODAY)
    config = load_config(path, today=TODAY).config
    assert config.account("gaj-weibo")[1].status.value == "closing"
    assert "owner: *who" in path.read_text("utf-8")
