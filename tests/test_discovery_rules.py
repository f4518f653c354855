"""Discovery rules (registry/discovery.py): which search hits are candidates, the keywords, and
what a verification proves. Pure: a ledger and hits in, findings out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from registry.config import load_config
from registry.constants import AccountStatus, CandidateKind, Outcome, Source, VerifyStatus
from registry.discovery import SearchHit, derive_keywords, findings, verify
from registry.models import Config

SAMPLE = Path(__file__).resolve().parent.parent / "config.yaml"
TODAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(SAMPLE, today=TODAY).config


def weibo(uid: str, name: str, vt: int, reason: str | None = None) -> SearchHit:
    return SearchHit(Source.WEIBO, uid, name, entity=reason, verified_type=vt)


def judged(config: Config, *hits: SearchHit) -> list[tuple[str, CandidateKind]]:
    return [(f.hit.identifier, f.kind) for f in findings(hits, config)]


def test_a_government_account_of_the_county_not_in_the_ledger_is_a_candidate(config):
    hit = weibo("71", "博爱县退役军人事务局", 1, "博爱县退役军人事务局官方微博")
    assert judged(config, hit) == [("71", CandidateKind.UNREGISTERED)]


def test_the_verified_entity_names_the_county_when_the_name_does_not(config):
    hit = weibo("72", "博爱消防", 7, "博爱县消防救援大队官方微博")
    assert judged(config, hit) == [("72", CandidateKind.UNREGISTERED)]


def test_a_near_miss_name_of_another_jurisdiction_is_not(config):
    hit = weibo("73", "博爱市退役军人事务局", 1, "博爱市退役军人事务局官方微博")
    assert judged(config, hit) == []


def test_another_countys_bureau_is_not(config):
    assert judged(config, weibo("74", "温县公安局", 1, "温县公安局官方微博")) == []


def test_a_personal_yellow_v_account_naming_the_county_is_not(config):
    assert judged(config, weibo("75", "博爱县美食探店", 0, "美食博主")) == []


def test_an_unverified_account_naming_the_county_is_not(config):
    assert judged(config, weibo("76", "博爱县人民政府粉丝团", -1)) == []


def test_a_ledger_account_found_by_uid_is_not(config):
    assert judged(config, weibo("2803301701", "博爱发布", 1, "博爱县人民政府新闻办公室")) == []


def test_a_ledger_account_found_by_exact_name_is_not(config):
    hit = SearchHit(Source.WECHAT, "MzNEW==", "博爱县人民政府办公室发布")
    renamed = SearchHit(Source.WECHAT, "MzOTHER==", "博爱教育")  # jyj-wechat has no fakeid
    assert judged(config, renamed) == []
    assert judged(config, hit) == [("MzNEW==", CandidateKind.UNREGISTERED)]


def test_a_closed_account_still_found_is_a_relaunch(config):
    found = findings([weibo("5990347712", "博爱市场监管", 1)], config)
    assert [(f.kind, f.account_id) for f in found] == [(CandidateKind.RELAUNCH, "scjgj-weibo")]


def test_wechat_needs_a_government_word_in_the_name(config):
    gov = SearchHit(Source.WECHAT, "Mz1==", "博爱县退役军人事务局")
    life = SearchHit(Source.WECHAT, "Mz2==", "博爱县生活圈")
    assert judged(config, gov, life) == [("Mz1==", CandidateKind.UNREGISTERED)]


def test_government_words_come_from_config(config):
    custom = config.model_copy(
        update={"discover": config.discover.model_copy(update={"government_words": ["圈"]})}
    )
    life = SearchHit(Source.WECHAT, "Mz2==", "博爱县生活圈")
    assert judged(custom, life) == [("Mz2==", CandidateKind.UNREGISTERED)]


def test_bilibili_organisation_is_governmental_and_a_person_is_not(config):
    org = SearchHit(Source.BILIBILI, "1", "博爱消防", "博爱县消防救援大队官方账号", 1)
    person = SearchHit(Source.BILIBILI, "2", "博爱县旅游攻略", "bilibili 知名旅行UP主", 0)
    assert judged(config, org, person) == [("1", CandidateKind.UNREGISTERED)]


def test_an_alias_of_the_jurisdiction_makes_it_ours(config):
    aliased = config.model_copy(
        update={"discover": config.discover.model_copy(update={"aliases": ["博爱"]})}
    )
    hit = weibo("77", "博爱应急管理", 1, "应急管理部门官方微博")
    assert judged(config, hit) == []
    assert judged(aliased, hit) == [("77", CandidateKind.UNREGISTERED)]


def test_the_same_account_found_twice_is_one_candidate(config):
    hit = weibo("71", "博爱县退役军人事务局", 1, "x")
    assert len(findings([hit, hit], config)) == 1


def test_keywords_are_the_county_then_departments_then_extra(config):
    extra = config.model_copy(
        update={"discover": config.discover.model_copy(update={"keywords": ["博爱发布", "博爱县"]})}
    )
    keywords = derive_keywords(extra)
    assert keywords[0] == "博爱县"
    assert keywords[1] == config.departments[0].name
    assert keywords[-1] == "博爱发布" and keywords.count("博爱县") == 1


def test_keywords_are_capped(config):
    capped = config.model_copy(
        update={"discover": config.discover.model_copy(update={"max_keywords": 3})}
    )
    assert len(derive_keywords(capped)) == 3


def test_verify_same_name_is_ok():
    hit = weibo("1", "博爱 发布", 1)  # a space is not a difference
    status, _ = verify(
        status=AccountStatus.ACTIVE, ledger_name="博爱发布", outcome=Outcome.OK, found=hit
    )
    assert status is VerifyStatus.OK


def test_verify_flags_a_name_mismatch():
    hit = weibo("1", "博爱公安在线", 1)
    status, detail = verify(
        status=AccountStatus.ACTIVE, ledger_name="博爱公安", outcome=Outcome.OK, found=hit
    )
    assert status is VerifyStatus.NAME_MISMATCH and "博爱公安在线" in detail


def test_verify_flags_a_closed_account_that_is_reachable():
    status, _ = verify(
        status=AccountStatus.CLOSED, ledger_name="x", outcome=Outcome.OK, found=weibo("1", "x", 1)
    )
    assert status is VerifyStatus.CLOSED_REACHABLE


def test_verify_closed_and_gone_is_fine():
    status, _ = verify(
        status=AccountStatus.CLOSED, ledger_name="x", outcome=Outcome.NOT_FOUND, found=None
    )
    assert status is VerifyStatus.CLOSED_GONE


def test_verify_a_blocked_lookup_proves_nothing():
    status, _ = verify(
        status=AccountStatus.CLOSED, ledger_name="x", outcome=Outcome.BLOCKED, found=None
    )
    assert status is VerifyStatus.UNKNOWN


def test_discover_sources_must_be_searchable(tmp_path):
    from registry.config import ConfigError

    text = SAMPLE.read_text(encoding="utf-8") + "discover:\n  sources: [weibo, feed]\n"
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, today=TODAY)
    expected = "discover.sources[1]: 'feed' is not one of weibo, wechat, bilibili"
    assert any(line.endswith(expected) for line in caught.value.lines)
