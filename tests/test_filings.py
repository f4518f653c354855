"""Closure filings on the sample 博爱县 ledger: which accounts, what the documents say (read back
from the .docx), escaping, template overrides, the tracking view."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from govmedia.cli import main
from registry.config import load_config, store_url
from registry.constants import LOCAL_TZ, FilingDocument, FilingStage, Outcome
from registry.store import open_store, status_changes, sync_ledger
from reports.filings import render_filings
from tests.fixtures.compliance import ComplianceStore
from tests.fixtures.docx_layout import body_height

CURRENT_TIME = dt.datetime(2026, 11, 28, 9, 0, tzinfo=LOCAL_TZ)
T = CURRENT_TIME
DAY = dt.timedelta(days=1)
AT = ["--at", T.isoformat()]


def docx_text(path: Path) -> str:
    """Every paragraph and table cell of a .docx, as python-docx reads it back."""
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


@pytest.fixture
def ledger(sample_config: Path) -> tuple[Path, ComplianceStore]:
    """The sample ledger with its store: every active account watched and posting yesterday,
    except xzf-weibo (silent 100 days: a zombie, flagged) and scjgj-weibo (closed on 2026-07-01,
    yet posting again)."""
    loaded = load_config(sample_config, today=T.date())
    engine = open_store(store_url(loaded))
    sync_ledger(engine, loaded.config, now=T)
    store = ComplianceStore(engine, loaded.config)
    for _, account in loaded.config.iter_accounts():
        store.observe(account.id, T - 300 * DAY)
        store.observe(account.id, T - dt.timedelta(hours=1))
        last = {
            "xzf-weibo": T - 100 * DAY,
            "scjgj-weibo": dt.datetime(2026, 11, 20, 10, tzinfo=LOCAL_TZ),
        }.get(account.id, T - DAY)
        store.posts(account.id, [T - 200 * DAY, last])
    yield sample_config, store
    engine.dispose()


def run(*args: str) -> object:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result


def test_documents_for_flagged_and_closing_accounts_carry_their_facts(ledger, tmp_path):
    config, _ = ledger
    out = tmp_path / "filings"
    result = run("filings", "-c", str(config), "--out", str(out), *AT)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "filings.json",
        "index.html",
        "wjw-weibo",
        "xzf-weibo",
    ]
    for account_id in ("xzf-weibo", "wjw-weibo"):
        names = sorted(p.name for p in (out / account_id).iterdir())
        assert names == sorted(
            f"{account_id}-{d.value}.{ext}" for d in FilingDocument for ext in ("docx", "html")
        )
    application = docx_text(out / "xzf-weibo" / "xzf-weibo-application.docx")
    for fact in (
        "政务新媒体账号关停申请表",
        "博爱县人民政府办公室",  # the unit
        "博爱发布",  # the account
        "微博UID：2803301701",  # platform and identifier
        "2013年8月20日",  # opened
        "2016年6月1日",  # filed
        "李明（13903910002）",  # owner
        "2026年8月20日 09:00",  # last post, 100 days before T
        "100天",  # days silent
        "僵尸账号",  # the rule
        "国办发〔2018〕123号",  # its source
        "负责人签字：＿＿＿＿＿＿",  # blank approvals
    ):
        assert fact in application, fact
    assert "{{" not in application and "{%" not in application


def test_the_notice_report_and_certificate_read_right(ledger, tmp_path):
    config, _ = ledger
    out = tmp_path / "f"
    assert run("filings", "-c", str(config), "--out", str(out), *AT).exit_code == 0
    notice = docx_text(out / "wjw-weibo" / "wjw-weibo-notice.docx")
    assert "关于“健康博爱”微博账号停止更新的公告" in notice
    assert "自2026年11月5日起停止更新" in notice
    report = docx_text(out / "wjw-weibo" / "wjw-weibo-report.docx")
    assert report.startswith("关于申请关停“健康博爱”微博账号的书面报告")
    assert "无力持续运维，内容并入“健康博爱”微信公众号" in report  # the cause
    assert "1. 已于2026年11月2日经批准启动关停程序。" in report  # measures taken
    assert "3. 拟公告期满后在平台注销账号（待办）。" in report
    assert "孙红梅（0391-8624120）" in report  # contacts
    certificate = docx_text(out / "wjw-weibo" / "wjw-weibo-certificate.docx")
    assert "全国政务新媒体信息报送系统" in certificate
    assert "证明编号：＿＿＿＿" in certificate  # not closed yet: left to fill in


def test_a_closed_accounts_certificate_has_its_number_and_dates(ledger, tmp_path):
    config, _ = ledger
    out = tmp_path / "f"
    result = run("filings", "-c", str(config), "--account", "scjgj-weibo", "--out", str(out), *AT)
    assert result.exit_code == 0, result.output
    certificate = docx_text(out / "scjgj-weibo" / "scjgj-weibo-certificate.docx")
    assert "博政媒关〔2026〕3号" in certificate
    assert "已于2026年7月1日在平台完成注销" in certificate
    assert "并于2026年7月3日在全国政务新媒体信息报送系统完成关停备案" in certificate
    html = (out / "scjgj-weibo" / "scjgj-weibo-certificate.html").read_text("utf-8")
    assert "博政媒关〔2026〕3号" in html


def test_unknown_account_is_a_clear_error(ledger):
    config, _ = ledger
    result = CliRunner().invoke(main, ["filings", "-c", str(config), "--account", "nope"])
    assert result.exit_code == 2
    assert "no account 'nope'" in result.output


def test_text_from_the_ledger_is_escaped(ledger, tmp_path):
    config, _ = ledger
    text = config.read_text("utf-8").replace(
        "name: 健康博爱\n        platform: weibo", 'name: "健康<b>&博爱"\n        platform: weibo'
    )
    config.write_text(text, "utf-8")
    out = tmp_path / "f"
    assert run("filings", "-c", str(config), "--out", str(out), *AT).exit_code == 0
    html = (out / "wjw-weibo" / "wjw-weibo-application.html").read_text("utf-8")
    assert "健康&lt;b&gt;&amp;博爱" in html and "<b>" not in html
    assert "健康<b>&博爱" in docx_text(out / "wjw-weibo" / "wjw-weibo-application.docx")


def test_a_template_folder_in_config_overrides_the_built_ins(ledger, tmp_path):
    config, _ = ledger
    own = tmp_path / "own"
    own.mkdir()
    (own / "notice.html.j2").write_text("<p>本单位公告：{{ account.name }}</p>", "utf-8")
    config.write_text(config.read_text("utf-8") + f"\nfilings:\n  templates: {own}\n", "utf-8")
    out = tmp_path / "f"
    assert run("filings", "-c", str(config), "--out", str(out), *AT).exit_code == 0
    assert (out / "wjw-weibo" / "wjw-weibo-notice.html").read_text("utf-8") == (
        "<p>本单位公告：健康博爱</p>"
    )
    assert "申请表" in (out / "wjw-weibo" / "wjw-weibo-application.html").read_text("utf-8")


def test_a_template_naming_a_missing_fact_fails_clearly(ledger, tmp_path):
    config, _ = ledger
    own = tmp_path / "own"
    own.mkdir()
    (own / "report.html.j2").write_text("<p>{{ account.nickname }}</p>", "utf-8")
    config.write_text(config.read_text("utf-8") + f"\nfilings:\n  templates: {own}\n", "utf-8")
    out = tmp_path / "f"
    result = CliRunner().invoke(main, ["filings", "-c", str(config), "--out", str(out), *AT])
    assert result.exit_code == 2
    assert "report.html.j2" in result.output and "nickname" in result.output
    assert "Traceback" not in result.output


def test_writes_leave_no_temporary_files(ledger, tmp_path):
    config, _ = ledger
    out = tmp_path / "f"
    for _ in range(2):  # rendering again replaces the files in place
        assert run("filings", "-c", str(config), "--out", str(out), *AT).exit_code == 0
    assert not [p for p in out.rglob("*") if p.name.startswith(".") or p.suffix == ".tmp"]


def test_tracking_view(ledger):
    config, store = ledger
    # The zombie was flagged by a check 40 days ago: overdue after 30 days.
    with store.engine.begin() as conn:
        conn.execute(
            status_changes.insert().values(
                account_id="xzf-weibo",
                old_status="veto",
                new_status="zombie",
                at=T - 40 * DAY,
                reason="test",
                flag_shutdown=True,
                relaunched=False,
            )
        )
    result = run("filings", "-c", str(config), "--status", "--json", *AT)
    assert result.exit_code == 0, result.output
    rows = {r["account"]: r for r in json.loads(result.output)}
    assert rows["xzf-weibo"]["stage"] == FilingStage.OVERDUE.value
    assert rows["xzf-weibo"]["days"] == 40 and rows["xzf-weibo"]["overdue"] is True
    assert rows["wjw-weibo"]["stage"] == FilingStage.CLOSING.value
    assert "closure.deregistered_on" in rows["wjw-weibo"]["next_step"]
    assert rows["scjgj-weibo"]["stage"] == FilingStage.RELAUNCHED.value
    assert list(rows)[0] == "scjgj-weibo"  # worst first
    assert set(rows) == {"xzf-weibo", "wjw-weibo", "scjgj-weibo"}
    table = run("filings", "-c", str(config), "--status", *AT)
    assert "overdue" in table.output and "relaunched" in table.output


def test_tracking_flagged_recently_is_not_overdue(ledger):
    config, _ = ledger
    result = run("filings", "-c", str(config), "--status", "--json", *AT)
    rows = {r["account"]: r for r in json.loads(result.output)}
    assert rows["xzf-weibo"]["stage"] == FilingStage.FLAGGED.value
    assert rows["xzf-weibo"]["days"] == 0


def test_nothing_to_render(sample_config, tmp_path):
    text = sample_config.read_text("utf-8")
    start = text.index("        status: closing")
    end = text.index("  - id: rsj")
    sample_config.write_text(text[:start] + "\n" + text[end:], "utf-8")
    result = run("filings", "-c", str(sample_config), "--out", str(tmp_path / "f"), *AT)
    assert result.exit_code == 0
    assert "nothing to render" in result.output


def test_help_ends_with_an_example():
    for command in ("check", "filings"):
        result = CliRunner().invoke(main, [command, "--help"])
        assert result.exit_code == 0
        assert "Example:" in result.output.split("Options:")[0]


def test_failing_observations_are_never_filed(ledger, tmp_path):
    config, store = ledger
    store.observe("xzf-weibo", T - dt.timedelta(minutes=30), Outcome.BLOCKED)
    with store.engine.begin() as conn:
        from registry.store import observations

        conn.execute(
            observations.delete().where(
                observations.c.account_id == "xzf-weibo",
                observations.c.outcome == "ok",
                observations.c.at > T - 10 * DAY,
            )
        )
    out = tmp_path / "f"
    assert run("filings", "-c", str(config), "--out", str(out), *AT).exit_code == 0
    assert not (out / "xzf-weibo").exists()  # unknown, not inactive: no shutdown filing


def test_a_missing_template_folder_is_a_clear_error(ledger, tmp_path):
    config, _ = ledger
    config.write_text(config.read_text("utf-8") + "\nfilings:\n  templates: nowhere\n", "utf-8")
    result = CliRunner().invoke(main, ["filings", "-c", str(config), *AT])
    assert result.exit_code == 2
    assert "filings.templates" in result.output and "no such folder" in result.output


def test_render_filings_api_for_the_cycle(ledger, tmp_path):
    from reports.filings import render_filings

    _, store = ledger
    paths = render_filings(store.engine, store.config, tmp_path, ["xzf-weibo"], now=T)
    assert paths[-1] == tmp_path / "filings" / "index.html"
    assert len(paths) == 9 and all(p.is_file() for p in paths)
    assert {p.parent.name for p in paths[:-1]} == {"xzf-weibo"}
    assert render_filings(store.engine, store.config, tmp_path, [], now=T) == []


def test_the_index_keeps_an_account_rendered_alone_before(ledger, tmp_path):
    """`filings --account X`, then `filings`: the index still lists X, whose files remain."""
    config, _ = ledger
    out = tmp_path / "f"
    assert run("filings", "-c", str(config), "--account", "scjgj-weibo", "--out", str(out), *AT)
    assert run("filings", "-c", str(config), "--out", str(out), *AT).exit_code == 0
    index = (out / "index.html").read_text("utf-8")
    for account_id in ("scjgj-weibo", "xzf-weibo", "wjw-weibo"):
        assert f"{account_id}/{account_id}-application.docx" in index
        assert (out / account_id / f"{account_id}-application.docx").exists()
    # An account whose folder was removed leaves the index with it.
    for path in (out / "scjgj-weibo").iterdir():
        path.unlink()
    (out / "scjgj-weibo").rmdir()
    assert run("filings", "-c", str(config), "--out", str(out), *AT).exit_code == 0
    assert "scjgj-weibo" not in (out / "index.html").read_text("utf-8")


def test_a_filings_run_removes_temporary_files_a_killed_run_left(ledger, tmp_path):
    config, _ = ledger
    out = tmp_path / "f"
    (out / "xzf-weibo").mkdir(parents=True)
    left = [
        out / ".index.html.k1ll3d_1.tmp",
        out / "xzf-weibo" / ".xzf-weibo-notice.docx.abcd1234.tmp",
    ]
    for path in left:
        path.write_bytes(b"half a file")
    mine_not = out / "notes.tmp"  # not our naming: not ours to remove
    mine_not.write_text("keep")
    writing = out / ".other.html.wr1t1ng_.tmp"  # a writer that is alive holds its file open
    with writing.open("wb"):
        assert run("filings", "-c", str(config), "--out", str(out), *AT).exit_code == 0
        assert writing.exists() or not sys.platform.startswith("linux")
    assert not any(path.exists() for path in left)
    assert mine_not.exists()


def test_every_document_fits_one_page_with_room_to_sign(ledger, tmp_path):
    """Each of the four documents of every account in the sample ledger fits one A4 page, by the
    conservative measure of tests/fixtures/docx_layout.py (no Word or LibreOffice here), with
    the seal, the signature and the date to fill in; and the measure does see a second page."""
    config_path, store = ledger
    config = load_config(config_path, today=T.date()).config
    out = tmp_path / "f"
    ids = [account.id for _, account in config.iter_accounts()]
    written = render_filings(store.engine, config, tmp_path, ids, now=T, out=out)
    documents = [p for p in written if p.suffix == ".docx"]
    assert len(documents) == 4 * len(ids)
    for path in documents:
        used, page = body_height(path)
        assert used <= page, f"{path.name}: {used:.0f} pt of a {page:.0f} pt page ({out})"
    for stem in ("application", "certificate", "report"):
        text = docx_text(out / "xzf-wechat" / f"xzf-wechat-{stem}.docx")
        assert "（盖章）" in text and "负责人签字：＿＿＿＿＿＿" in text, stem
        assert "＿＿＿＿年＿＿月＿＿日" in text or stem == "report", stem
    # The measure is not blind: the application with a long reason runs onto a second page.
    long = docx.Document(str(out / "xzf-wechat" / "xzf-wechat-application.docx"))
    for _ in range(12):
        long.add_paragraph("理由" * 40)
    long.save(tmp_path / "long.docx")
    used, page = body_height(tmp_path / "long.docx")
    assert used > page


def test_no_tool_note_nor_internal_id_on_the_documents(ledger, tmp_path):
    """What a person reads names the account by its public identifier (微博UID, the 公众号's
    name), never by an internal id (the WeChat fakeid, the ledger's account id), and no line
    says which tool made the document."""
    config_path, store = ledger
    config = load_config(config_path, today=T.date()).config
    out = tmp_path / "f"
    ids = [account.id for _, account in config.iter_accounts()]
    render_filings(store.engine, config, tmp_path, ids, now=T, out=out)
    internal = [
        *ids,
        *(a.fakeid for _, a in config.iter_accounts() if a.fakeid),
        *(a.url for _, a in config.iter_accounts() if a.url and a.platform.value == "wechat"),
        "fakeid",
        "govmedia",
    ]
    for account_id in ids:
        for document in FilingDocument:
            text = docx_text(out / account_id / f"{account_id}-{document.value}.docx")
            for word in internal:
                assert word not in text, (account_id, document.value, word)
    application = docx_text(out / "xzf-wechat" / "xzf-wechat-application.docx")
    assert "公众号名称：博爱发布" in application
    feed = docx_text(out / "xlz-wechat" / "xlz-wechat-certificate.docx")
    assert "公众号名称：许良镇发布" in feed  # observed through a feed: its address is ours
