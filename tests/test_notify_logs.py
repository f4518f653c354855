"""Structured logs with secrets removed: our records, Scrapy's, and lines relayed from a child."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest

from govmedia.logging_setup import configure_logging, relay_line
from registry.config import load_config
from registry.secrets import redact
from tests.fixtures.cycle import ledger_data, write_ledger

SMTP_PASSWORD = "Sm7p-pa55word"
WECOM_URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4"
WECHAT_COOKIE = "slave_user=gh_0b5a; slave_sid=c2ltdWxhdGVk+/="


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVMEDIA_SMTP_PASSWORD", SMTP_PASSWORD)
    monkeypatch.setenv("GOVMEDIA_WECOM_WEBHOOK", WECOM_URL)
    monkeypatch.setenv("GOVMEDIA_WECHAT_COOKIE", WECHAT_COOKIE)
    monkeypatch.setenv("MY_ROBOT_SECRET", "robot-secret-42")  # named only by the config
    monkeypatch.delenv("GOVMEDIA_LOG_FILE", raising=False)
    monkeypatch.delenv("GOVMEDIA_LOG_FORMAT", raising=False)


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def configured(tmp_path: Path, **logging_section: object):
    notify = {
        "channels": [
            {
                "id": "dd",
                "kind": "dingtalk",
                "url_env": "GOVMEDIA_DINGTALK_WEBHOOK",
                "secret_env": "MY_ROBOT_SECRET",
            }
        ]
    }
    data = ledger_data(notify=notify, logging={"file": "data/govmedia.log", **logging_section})
    loaded = load_config(write_ledger(tmp_path, data))
    stream = io.StringIO()
    path = configure_logging(loaded, stream=stream)
    return loaded, stream, path


def test_secret_values_and_shapes_never_reach_the_log(tmp_path, secrets, restore_logging):
    _, stream, path = configured(tmp_path)
    log = logging.getLogger("govmedia.test")
    log.info("login with %s", SMTP_PASSWORD, extra={"url": WECOM_URL})
    logging.getLogger("scrapy.downloadermiddlewares").warning("Cookie: %s", WECHAT_COOKIE)
    log.info("signed %s", "https://oapi.dingtalk.com/robot/send?access_token=abc123&sign=xyz%3D")
    log.info('answer {"token": "t-0k3n", "ok": true} and robot-secret-42')
    log.info("encoded %s", "slave_sid%3Dc2ltdWxhdGVk%2B%2F%3D")
    try:
        raise RuntimeError(f"SMTP login failed for {SMTP_PASSWORD}")
    except RuntimeError:
        log.exception("boom")

    for text in (stream.getvalue(), path.read_text(encoding="utf-8")):
        for secret in (
            SMTP_PASSWORD,
            "693a91f6-7xxx-4bc4",
            "c2ltdWxhdGVk",
            "abc123",
            "t-0k3n",
            "robot-secret-42",
        ):
            assert secret not in text
        assert "url=***" in text  # the whole webhook URL is the secret
        assert "access_token=***&sign=***" in text
        assert "Cookie: ***" in text
        assert 'token\\": \\"***' in text  # JSON inside a quoted kv value
        assert "RuntimeError: SMTP login failed for ***" in text


def test_key_value_lines_carry_fields(tmp_path, secrets, restore_logging):
    _, stream, _ = configured(tmp_path)
    logging.getLogger("govmedia.cycle").info(
        "crawl done", extra={"accounts": 28, "failed_sources": "wechat"}
    )
    line = stream.getvalue().strip()
    assert line.startswith("ts=20")
    assert line.endswith(
        ' level=info logger=govmedia.cycle msg="crawl done" accounts=28 failed_sources=wechat'
    )


def test_json_lines_carry_fields(tmp_path, secrets, restore_logging):
    _, stream, _ = configured(tmp_path, format="json")
    logging.getLogger("govmedia.cycle").warning("source failed", extra={"source": "wechat"})
    record = json.loads(stream.getvalue())
    assert record["level"] == "warning"
    assert record["logger"] == "govmedia.cycle"
    assert record["msg"] == "source failed"
    assert record["source"] == "wechat"
    assert record["ts"].endswith("+08:00")


def test_the_file_rotates(tmp_path, secrets, restore_logging):
    _, _, path = configured(tmp_path, max_bytes=10_000, backup_count=2)
    for i in range(400):
        logging.getLogger("govmedia.test").info("line %d %s", i, "x" * 40)
    names = sorted(p.name for p in path.parent.glob("govmedia.log*"))
    assert names == ["govmedia.log", "govmedia.log.1", "govmedia.log.2"]
    assert path.stat().st_size <= 10_000


def test_a_child_line_is_relayed_with_its_logger_level_and_fields(
    tmp_path, secrets, restore_logging
):
    _, stream, _ = configured(tmp_path, format="json")
    child = {
        "ts": "2026-11-28T08:30:01.000+08:00",
        "level": "warning",
        "logger": "govmedia.spiders.wechat",
        "msg": f"session expired for cookie {WECHAT_COOKIE}",
        "account": "nyncj-wechat",
    }
    relay_line(json.dumps(child) + "\n")
    relay_line("2026-11-28 08:30:02 [scrapy.core.engine] INFO: Spider closed (finished)")
    relay_line("Traceback (most recent call last):")
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(r["logger"], r["level"]) for r in records] == [
        ("govmedia.spiders.wechat", "warning"),
        ("scrapy.core.engine", "info"),
        ("govmedia.child", "warning"),
    ]
    assert records[0]["account"] == "nyncj-wechat"
    assert records[0]["child"] is True
    assert "c2ltdWxhdGVk" not in records[0]["msg"]


def test_redact_is_the_same_cleaner_for_stored_errors(secrets):
    assert redact(f"cannot reach {WECOM_URL}") == "cannot reach ***"
    assert redact("nothing secret here") == "nothing secret here"


def test_log_file_and_format_can_be_set_by_the_parent(
    tmp_path, secrets, restore_logging, monkeypatch
):
    monkeypatch.setenv("GOVMEDIA_LOG_FILE", "-")
    monkeypatch.setenv("GOVMEDIA_LOG_FORMAT", "json")
    _, stream, path = configured(tmp_path)
    logging.getLogger("govmedia.test").info("hello")
    assert path is None
    assert json.loads(stream.getvalue())["msg"] == "hello"
    assert not (tmp_path / "data" / "govmedia.log").exists()
