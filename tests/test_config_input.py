"""Hostile or broken config input is refused by `govmedia validate` with FILE:LINE and exit 2,
never a traceback or a hang: control characters, alias bombs, special files, absurd numbers."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from govmedia.cli import main
from registry.config import MAX_CONFIG_BYTES, ConfigError, load_config
from tests.test_config import BASE, SECOND
from tests.test_readme import KEYS, _unwrap

P = "departments[gaj].accounts[gaj-weibo]"
# Makes the fast reader hand the file to ruamel.yaml (registry/yamlload.py); two lines longer.
RUAMEL = "%YAML 1.2\n---\n"


def validate(tmp_path: Path, text: str | bytes) -> tuple[int, list[str]]:
    """(exit code, the problem lines) of `govmedia validate -c config.yaml` in tmp_path."""
    path = tmp_path / "config.yaml"
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    result = CliRunner().invoke(main, ["validate", "-c", str(path)])
    prefix = f"{path}:"
    lines = [
        "config.yaml:" + line.removeprefix(prefix)
        for line in result.output.splitlines()
        if line.startswith(prefix) and not line.startswith(f"{path}: ")
    ]
    return result.exit_code, lines


def govmedia(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The CLI in a child process: what hangs or eats memory there cannot take the suite along."""
    return subprocess.run(
        [sys.executable, "-c", "from govmedia.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------------------------------------
# Control characters


def named(value: str) -> str:
    """BASE with the account's name written as `value` (a YAML scalar, quoted or not)."""
    return BASE.replace("        name: 博爱公安\n", f"        name: {value}\n")


ESCAPED = [
    pytest.param('"博爱\\x01公安"', "a control character (U+0001)", id="x01"),
    pytest.param('"博爱\\e公安"', "a control character (U+001B)", id="escape-e"),
    pytest.param('"博爱\\0公安"', "a control character (U+0000)", id="escape-0"),
    pytest.param('"博爱\\r公安"', "a control character (U+000D)", id="escape-r"),
    pytest.param('"博爱\\N公安"', "a control character (U+0085)", id="c1-nel"),
    pytest.param('"博爱\\x9b公安"', "a control character (U+009B)", id="c1-csi"),
    pytest.param('"博爱\\x7f公安"', "a control character (U+007F)", id="del"),
    pytest.param('"博爱\\uFFFF公安"', "a noncharacter (U+FFFF)", id="noncharacter"),
]


@pytest.mark.parametrize(("value", "what"), ESCAPED)
@pytest.mark.parametrize("reader", ["libyaml", "ruamel"])
def test_escaped_control_character_is_refused(tmp_path: Path, value: str, what: str, reader):
    prefix, line = (RUAMEL, 10) if reader == "ruamel" else ("", 8)
    code, lines = validate(tmp_path, prefix + named(value))
    assert code == 2
    assert lines == [f"config.yaml:{line}: {P}.name: contains {what} at position 3; delete it"]


@pytest.mark.parametrize(
    "value",
    ['"博爱\\t公安\\n"', '"博爱\\\\x01公安"', "博爱\\x01公安"],
    ids=["tab-newline", "escaped-backslash", "plain-backslash"],
)
def test_text_that_only_looks_like_a_control_character_is_fine(tmp_path: Path, value: str):
    code, lines = validate(tmp_path, named(value))
    assert (code, lines) == (0, [])


def test_control_character_in_a_key_is_refused_and_shown_escaped(tmp_path: Path):
    code, lines = validate(tmp_path, BASE + '        "no\\x07te": 备注\n')
    assert code == 2
    assert lines == [
        f"config.yaml:14: {P}.no\\x07te: the key contains a control character (U+0007) at "
        "position 3; delete it"
    ]


def test_control_character_in_a_choice_says_only_that(tmp_path: Path):
    text = BASE.replace("platform: weibo", 'platform: "weib\\x01o"')
    code, lines = validate(tmp_path, text)
    assert code == 2
    assert lines == [
        f"config.yaml:9: {P}.platform: contains a control character (U+0001) at position 5; "
        "delete it"
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(b"\x00", "a NUL byte (U+0000) at column 17; delete it", id="nul"),
        pytest.param(b"\x1b", "a control character (U+001B) at column 17; delete it", id="esc"),
        pytest.param(b"\x01", "a control character (U+0001) at column 17; delete it", id="x01"),
        pytest.param(
            "\x85".encode(), "a control character (U+0085) at column 17; delete it", id="c1"
        ),
    ],
)
def test_raw_control_byte_is_refused_with_its_line_and_column(
    tmp_path: Path, raw: bytes, expected: str
):
    text = BASE.replace("name: 博爱公安\n        platform", "name: 博爱@公安\n        platform")
    code, lines = validate(tmp_path, text.encode("utf-8").replace(b"@", raw))
    assert code == 2
    assert lines == [f"config.yaml:8: {expected}"]


def test_many_raw_control_bytes_are_summed_up(tmp_path: Path):
    code, lines = validate(tmp_path, b"jurisdiction: x\n" + b"\x00\n" * 1000)
    assert code == 2
    assert len(lines) == 21
    assert lines[0] == "config.yaml:2: a NUL byte (U+0000) at column 1; delete it"
    assert lines[-1] == "config.yaml:22: … and more lines with control characters"


def test_a_character_yaml_does_not_allow_names_its_line(tmp_path: Path):
    code, lines = validate(tmp_path, BASE.replace("name: 博爱公安", "name: 博爱\uffff公安"))
    assert code == 2
    assert lines == [
        "config.yaml:8: YAML syntax: a character YAML does not allow (U+FFFF); delete it"
    ]


def test_register_refuses_a_control_character_in_an_option(sample_config: Path):
    digest = sha(sample_config)
    result = CliRunner().invoke(
        main,
        [
            "register",
            "-c",
            str(sample_config),
            "--department",
            "gaj",
            "--id",
            "gaj-toutiao",
            "--name",
            "博爱\x1b[31m公安",
            "--platform",
            "toutiao",
            "--owner-name",
            "陈静",
            "--owner-phone",
            "13903910012",
            "--exception-basis",
            "公安机关依法开设",
        ],
    )
    assert result.exit_code == 2, result.output
    assert (
        f"{sample_config}:99: departments[gaj].accounts[gaj-toutiao].name: contains a control "
        "character (U+001B) at position 3; delete it"
    ) in result.output.splitlines()
    assert sha(sample_config) == digest


def test_close_refuses_a_control_character_in_an_option(sample_config: Path):
    digest = sha(sample_config)
    result = CliRunner().invoke(
        main,
        [
            "close",
            "-c",
            str(sample_config),
            "xlz-wechat",
            "--reason",
            "并入\x00清化镇发布",
            "--approved-on",
            "2026-11-27",
        ],
    )
    assert result.exit_code == 2, result.output
    assert (
        f"{sample_config}:336: departments[xlz].accounts[xlz-wechat].closure.reason: contains "
        "a control character (U+0000) at position 3; delete it"
    ) in result.output.splitlines()
    assert sha(sample_config) == digest


# ---------------------------------------------------------------------------------------------
# Aliases


def laughs(levels: int = 9) -> str:
    """The "billion laughs": nine lines whose aliases expand to 9**9 values."""
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    names = "abcdefghijk"
    for previous, name in zip(names[: levels - 1], names[1:levels], strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    return "jurisdiction: 博爱县\n" + "\n".join(lines) + f"\ndepartments: *{names[levels - 1]}\n"


BOMB_MESSAGE = (
    "YAML: aliases (*name) would repeat 926,177,086 values, more than the 10,000 allowed "
    "(ten times the file's own 20); the biggest is here; write the values out instead"
)


@pytest.mark.timeout(30)
@pytest.mark.parametrize(("prefix", "line"), [("", 11), (RUAMEL, 13)], ids=["libyaml", "ruamel"])
def test_billion_laughs_is_refused_at_once(tmp_path: Path, prefix: str, line: int):
    code, lines = validate(tmp_path, prefix + laughs())
    assert code == 2
    assert lines == [f"config.yaml:{line}: {BOMB_MESSAGE}"]


@pytest.mark.timeout(60)
def test_billion_laughs_takes_little_memory(tmp_path: Path):
    """In a child process of its own: its peak memory is that of `govmedia validate` alone."""
    path = tmp_path / "config.yaml"
    path.write_text(RUAMEL + laughs(), encoding="utf-8")
    script = (
        "import resource, subprocess, sys\n"
        "done = subprocess.run([sys.executable, '-c', 'from govmedia.cli import main; main()',"
        f" 'validate', '-c', {str(path)!r}], capture_output=True, text=True)\n"
        "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "print(done.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=50, check=True
    )
    head, *rest = done.stdout.splitlines()
    code, max_rss_kib = (int(part) for part in head.split())
    assert code == 2
    assert f"{path}:13: {BOMB_MESSAGE}" in rest
    assert max_rss_kib < 300 * 1024  # validate alone takes about 40 MB; the bomb took gigabytes


def test_an_alias_inside_its_own_anchor_is_refused(tmp_path: Path):
    # (ruamel.yaml reads such an alias as null; the fast reader would make a list of itself.)
    code, lines = validate(tmp_path, "jurisdiction: 博爱县\ndepartments: &d [*d]\n")
    assert code == 2
    assert lines == [
        "config.yaml:2: YAML: this alias is inside the value it names (a loop); write the "
        "values out"
    ]


def test_reusing_an_owner_through_aliases_is_fine(tmp_path: Path):
    accounts = "".join(
        f"      - id: gaj-{n}\n"
        f"        name: 博爱公安{n}\n"
        "        platform: weibo\n"
        f'        uid: "{2951237460 + n}"\n'
        + (
            '        owner: &owner {name: 张伟, phone: "13903910011"}\n'
            if n == 0
            else "        owner: *owner\n"
        )
        + "        filed_on: 2019-03-05\n"
        for n in range(200)
    )
    text = BASE.split("      - id: gaj-weibo")[0] + accounts
    assert validate(tmp_path, text) == (0, [])


# ---------------------------------------------------------------------------------------------
# Files that are not a ledger


@pytest.mark.timeout(60)
def test_dev_zero_is_refused():
    done = govmedia("validate", "-c", "/dev/zero", timeout=30)
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == (
        "/dev/zero: is a character device, not a regular file; pass the ledger file with -c PATH"
    )


@pytest.mark.timeout(60)
@pytest.mark.parametrize("command", [["validate"], ["register", "--department", "gaj"]])
def test_a_fifo_is_refused_not_waited_on(tmp_path: Path, command: list[str]):
    fifo = tmp_path / "config.yaml"
    os.mkfifo(fifo)
    done = govmedia(*command, "-c", str(fifo), timeout=30)
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == (
        f"{fifo}: is a named pipe (FIFO), not a regular file; pass the ledger file with -c PATH"
    )


def test_a_socket_is_refused():
    with tempfile.TemporaryDirectory(dir="/tmp") as folder:  # a short path: sockets need one
        path = Path(folder) / "config.yaml"
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            server.bind(str(path))
            with pytest.raises(ConfigError) as caught:
                load_config(path)
        finally:
            server.close()
    assert caught.value.lines == [
        f"{path}: is a socket, not a regular file; pass the ledger file with -c PATH"
    ]


def test_a_folder_is_refused(tmp_path: Path):
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert caught.value.lines == [f"{tmp_path}: is a folder; pass the ledger file with -c PATH"]


def test_a_file_past_the_size_cap_is_refused_unread(tmp_path: Path):
    path = tmp_path / "config.yaml"
    with path.open("wb") as handle:  # sparse: nothing is written, nothing need be read
        handle.truncate(MAX_CONFIG_BYTES + 1)
    result = CliRunner().invoke(main, ["validate", "-c", str(path)])
    assert result.exit_code == 2
    assert result.output.splitlines()[0] == (
        f"{path}: 52,428,801 bytes is more than a ledger can be (50 MB; 20,000 accounts take "
        "about 7 MB); check that -c names the ledger"
    )


# ---------------------------------------------------------------------------------------------
# Numbers


def number_keys() -> list[tuple[str, Any]]:
    """Every integer or number key of config.yaml, with its field."""
    return [
        (key, info)
        for key, annotation, info in KEYS
        if _unwrap(annotation)[0] in (int, float) and _unwrap(annotation)[0] is not bool
    ]


def test_every_number_has_both_bounds_and_a_unit():
    unbounded = [
        key
        for key, info in number_keys()
        if not any(hasattr(m, "ge") for m in info.metadata)
        or not any(hasattr(m, "le") for m in info.metadata)
        or not isinstance(info.json_schema_extra, dict)
        or "unit" not in info.json_schema_extra
    ]
    assert len(number_keys()) >= 30
    assert unbounded == []


CHANNEL = "  channels:\n    - {id: mail, kind: email, host: smtp.example.gov.cn, sender: a@b.cn, "

NUMBERS = [
    ("sources:\n  weibo: {delay: .inf}\n", "sources.weibo.delay", "0 and 60 seconds", "inf"),
    ("sources:\n  weibo: {delay: .nan}\n", "sources.weibo.delay", "0 and 60 seconds", "nan"),
    ("sources:\n  web: {delay: -.inf}\n", "sources.web.delay", "0 and 60 seconds", "-inf"),
    ("sources:\n  weibo: {delay: 3600}\n", "sources.weibo.delay", "0 and 60 seconds", "3600"),
    (
        "sources:\n  feed: {concurrency: .inf}\n",
        "sources.feed.concurrency",
        "1 and 64 requests",
        "inf",
    ),
    ("crawl:\n  timeout: 0\n", "crawl.timeout", "0.1 and 300 seconds", "0"),
    ("crawl:\n  timeout: 1e400\n", "crawl.timeout", "0.1 and 300 seconds", "inf"),
    ("crawl:\n  backoff: 86400\n", "crawl.backoff", "0 and 60 seconds", "86400"),
    ("crawl:\n  retries: 1000\n", "crawl.retries", "0 and 10 retries", "1000"),
    ("crawl:\n  max_pages: 0\n", "crawl.max_pages", "1 and 500 pages", "0"),
    ("crawl:\n  lookback_days: 36500\n", "crawl.lookback_days", "1 and 730 days", "36500"),
    (
        "crawl:\n  batch_size: 100000000000000000000\n",
        "crawl.batch_size",
        "1 and 10000 observations",
        "100000000000000000000",
    ),
    (
        f"notify:\n{CHANNEL}timeout: .inf}}\n",
        "notify.channels[mail].timeout",
        "0.1 and 120 seconds",
        "inf",
    ),
    (
        "notify:\n  retry: {max_backoff_hours: .inf}\n",
        "notify.retry.max_backoff_hours",
        "0.1 and 168 hours",
        "inf",
    ),
    (
        "notify:\n  retry: {backoff_minutes: 0}\n",
        "notify.retry.backoff_minutes",
        "1 and 1440 minutes",
        "0",
    ),
    (
        "schedule:\n  crawl_timeout_minutes: 525600\n",
        "schedule.crawl_timeout_minutes",
        "1 and 1440 minutes",
        "525600",
    ),
    (
        "schedule:\n  heartbeat_minutes: .inf\n",
        "schedule.heartbeat_minutes",
        "1 and 1440 minutes",
        "inf",
    ),
    ("policy:\n  warn_after_days: .nan\n", "policy.warn_after_days", "1 and 365 days", "nan"),
    ("logging:\n  backup_count: 1000000\n", "logging.backup_count", "0 and 100 files", "1000000"),
]


@pytest.mark.parametrize(("snippet", "path", "span", "got"), NUMBERS)
def test_absurd_numbers_are_refused_with_the_range(
    tmp_path: Path, snippet: str, path: str, span: str, got: str
):
    code, lines = validate(tmp_path, BASE + snippet)
    line = 14 + snippet.count("\n") - 1
    assert code == 2
    assert lines == [f"config.yaml:{line}: {path}: must be between {span}, got {got}"]


# ---------------------------------------------------------------------------------------------
# Long values in messages


def test_a_long_value_is_cut_in_the_message(tmp_path: Path):
    code, lines = validate(tmp_path, BASE.replace("platform: weibo", f"platform: {'w' * 5000}"))
    assert code == 2
    assert lines == [
        f"config.yaml:9: {P}.platform: '{'w' * 78}… is not one of wechat, weibo, douyin, "
        "kuaishou, toutiao, bilibili, xiaohongshu, website, other"
    ]


def test_a_long_url_is_cut_in_the_message(tmp_path: Path):
    text = BASE.replace('uid: "2951237460"', f'uid: "2951237460"\n        url: ftp://{"u" * 5000}')
    code, lines = validate(tmp_path, text)
    assert code == 2
    assert lines == [
        f"config.yaml:11: {P}.url: must be an http:// or https:// URL, got 'ftp://{'u' * 72}…"
    ]


def test_a_long_duplicate_id_is_cut_in_the_message(tmp_path: Path):
    long_id = "gaj-" + "x" * 5000
    text = (BASE + SECOND).replace("id: gaj-weibo", f"id: {long_id}")
    text = text.replace("id: gaj-wechat", f"id: {long_id}")
    code, lines = validate(tmp_path, text)
    assert code == 2
    assert lines == [
        f"config.yaml:14: departments[gaj].accounts[gaj-{'x' * 75}…].id: duplicate account id "
        f"'gaj-{'x' * 74}… (also in department 'gaj'); ids are unique across the file"
    ]
