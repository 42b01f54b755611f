"""Dates typed at a site are read in the site's zone and stored as UTC; stored times print
in the site's zone, in the reader's convention, with the zone named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from biobank.errors import ValidationError
from biobank.localtime import format_local, parse_local, parse_local_date, zone_label

SHANGHAI_MIDNIGHT_24 = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)  # 2026-11-24 00:00 +08:00


@pytest.mark.parametrize("typed", [
    "2026-11-24", "2026/11/24", "2026.11.24", "24/11/2026", "24.11.2026", "24-11-2026",
    "2026年11月24日", "2026年11月24号", "2026 年 11 月 24 日", "20261124",
    "2026-11-24 00:00", "  2026/11/24  ", "２０２６／１１／２４",
])
def test_dates_people_type_mean_local_midnight(typed: str) -> None:
    got = parse_local(typed, "Asia/Shanghai")
    assert got == SHANGHAI_MIDNIGHT_24
    assert got.tzinfo is UTC


@pytest.mark.parametrize("typed", [
    "2026-11-24 14:30", "2026/11/24 14:30", "24/11/2026 14:30", "2026年11月24日 14:30",
    "2026年11月24日14:30", "2026-11-24T14:30", "2026-11-24 14:30:00", "2026年11月24日 14时30分",
    "2026年11月24日 14点30分", "2026-11-24 １４：３０",
])
def test_date_and_time(typed: str) -> None:
    assert parse_local(typed, "Asia/Shanghai") == datetime(2026, 11, 24, 6, 30, tzinfo=UTC)


def test_the_zone_is_the_sites() -> None:
    assert parse_local("2026-07-01 12:00", "Europe/London") == datetime(2026, 7, 1, 11, 0,
                                                                        tzinfo=UTC)
    assert parse_local("2026-07-01 12:00", "UTC") == datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert parse_local("2026-07-01 12:00") == datetime(2026, 7, 1, 4, 0, tzinfo=UTC)  # Shanghai


def test_slash_dates_with_the_year_last_are_day_first() -> None:
    assert parse_local_date("03/04/2026").isoformat() == "2026-04-03"
    with pytest.raises(ValidationError, match="not a real date"):
        parse_local("11/24/2026")  # US order: refused, never silently swapped


@pytest.mark.parametrize("typed", [
    "", "   ", "2026-02-30", "2026-13-01", "31/04/2026", "2026-11-24 24:00", "2026-11-24 14:60",
    "tomorrow", "2026-11", "2026-11-24 14", "26-11-24", "2026-11/24", "2026年13月1日",
])
def test_refused_with_a_clear_message(typed: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_local(typed, "Asia/Shanghai")
    assert info.value.status == 422 and info.value.message


def test_unknown_zone_is_refused() -> None:
    with pytest.raises(ValidationError, match="time zone"):
        parse_local("2026-11-24", "Mars/Olympus")


def test_format_in_each_language_names_the_zone() -> None:
    at = datetime(2026, 11, 24, 14, 5, tzinfo=UTC)
    assert format_local(at, "Asia/Shanghai", "en") == "2026-11-24 22:05 CST"
    assert format_local(at, "Asia/Shanghai", "zh") == "2026年11月24日 22:05 CST"
    assert format_local(at, "Europe/London", "en", seconds=True) == "2026-11-24 14:05:00 GMT"
    assert format_local(None) == "—"
    assert format_local(at.replace(tzinfo=None), "Asia/Shanghai") == "2026-11-24 22:05 CST"
    assert zone_label("Asia/Shanghai", at) == "Asia/Shanghai (UTC+08:00)"
    assert zone_label("America/St_Johns", datetime(2026, 1, 1, tzinfo=UTC)) == (
        "America/St_Johns (UTC-03:30)")


ZONES = st.sampled_from(["Asia/Shanghai", "Asia/Urumqi", "Europe/London", "UTC",
                         "America/New_York", "Asia/Kolkata"])


@given(st.datetimes(min_value=datetime(1995, 1, 1), max_value=datetime(2099, 12, 31)),
       ZONES, st.sampled_from(["%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%d/%m/%Y %H:%M",
                               "%Y年%m月%d日 %H:%M", "%d.%m.%Y %H:%M"]))
def test_what_is_shown_reads_back_as_the_same_instant(naive: datetime, tz: str,
                                                      fmt: str) -> None:
    instant = naive.replace(second=0, microsecond=0, tzinfo=UTC)
    from zoneinfo import ZoneInfo

    local = instant.astimezone(ZoneInfo(tz))
    typed = local.strftime(fmt)
    back = parse_local(typed, tz)
    if local.fold:
        # In the repeated hour at the end of summer time the wall clock is ambiguous;
        # the earlier instant is chosen, within that hour.
        assert abs(back - instant) <= timedelta(hours=1)
    else:
        assert back == instant
    # The zh rendering of a page is also accepted back.
    shown = format_local(instant, tz, "zh", with_zone=False)
    assert abs(parse_local(shown, tz) - instant) <= timedelta(hours=1)


def test_parse_datetime_takes_iso_with_offset_or_local_text() -> None:
    from biobank.localtime import parse_datetime

    want = datetime(2026, 11, 24, 6, 30, tzinfo=UTC)
    assert parse_datetime("2026-11-24T14:30+08:00", "Europe/London") == want  # offset wins
    assert parse_datetime("2026-11-24T06:30Z") == want
    assert parse_datetime("2026/11/24 14:30", "Asia/Shanghai") == want
    assert parse_datetime("2026-11-24 14:30", "Asia/Shanghai") == want  # no offset: local
    with pytest.raises(ValidationError):
        parse_datetime("yesterday", "Asia/Shanghai")
