"""Specification of the local cloud's EventBridge schedule expressions (rate and cron, in UTC)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from localcloud.scheduler import next_fire_time

#: Wednesday 15 January 2025.
WEDNESDAY = datetime(2025, 1, 15, 10, 7, 30, tzinfo=UTC)


def at(day: int, hour: int, minute: int, month: int = 1) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("rate(5 minutes)", datetime(2025, 1, 15, 10, 12, 30, tzinfo=UTC)),
        ("rate(1 minute)", datetime(2025, 1, 15, 10, 8, 30, tzinfo=UTC)),
        ("rate(1 hour)", datetime(2025, 1, 15, 11, 7, 30, tzinfo=UTC)),
        ("rate(2 hours)", datetime(2025, 1, 15, 12, 7, 30, tzinfo=UTC)),
        ("rate(1 day)", datetime(2025, 1, 16, 10, 7, 30, tzinfo=UTC)),
        ("  rate(7 days) ", datetime(2025, 1, 22, 10, 7, 30, tzinfo=UTC)),
    ],
)
def test_a_rate_fires_one_interval_after_now(expression: str, expected: datetime) -> None:
    assert next_fire_time(expression, WEDNESDAY) == expected


def test_a_daily_cron_fires_at_its_time_today_or_tomorrow() -> None:
    assert next_fire_time("cron(0 3 * * ? *)", at(15, 2, 59)) == at(15, 3, 0)
    assert next_fire_time("cron(0 3 * * ? *)", WEDNESDAY) == at(16, 3, 0)


def test_a_cron_fires_strictly_after_the_given_instant() -> None:
    assert next_fire_time("cron(0 3 * * ? *)", at(15, 3, 0)) == at(16, 3, 0)
    assert next_fire_time("cron(* * * * ? *)", at(15, 3, 0)) == at(15, 3, 1)


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (WEDNESDAY, at(15, 10, 15)),
        (at(15, 10, 0), at(15, 10, 15)),
        (at(15, 10, 44), at(15, 10, 45)),
        (at(15, 23, 50), at(16, 0, 0)),
    ],
)
def test_every_fifteen_minutes_fires_on_the_quarter_hours(after: datetime, expected: datetime) -> None:
    assert next_fire_time("cron(*/15 * * * ? *)", after) == expected


def test_weekday_two_is_monday_because_eventbridge_counts_from_sunday() -> None:
    # GIVEN a Wednesday WHEN the schedule is "09:00 on weekday 2"
    fire = next_fire_time("cron(0 9 ? * 2 *)", WEDNESDAY)

    # THEN it fires next Monday, 20 January 2025, at 09:00
    assert fire == at(20, 9, 0)
    assert fire.strftime("%A") == "Monday"


def test_weekday_one_is_sunday_and_seven_is_saturday() -> None:
    assert next_fire_time("cron(0 9 ? * 1 *)", WEDNESDAY).strftime("%A") == "Sunday"
    assert next_fire_time("cron(0 9 ? * 7 *)", WEDNESDAY).strftime("%A") == "Saturday"


def test_weekday_ranges_and_lists() -> None:
    # Monday to Friday at 08:30, asked on a Friday evening: next Monday.
    assert next_fire_time("cron(30 8 ? * 2-6 *)", at(17, 20, 0)) == at(20, 8, 30)
    # Tuesdays and Thursdays, asked on Wednesday: Thursday.
    assert next_fire_time("cron(0 12 ? * 3,5 *)", WEDNESDAY) == at(16, 12, 0)


def test_a_monthly_cron_rolls_over_to_the_next_month() -> None:
    assert next_fire_time("cron(0 0 1 * ? *)", WEDNESDAY) == at(1, 0, 0, month=2)


@pytest.mark.parametrize(
    "expression",
    [
        "every 5 minutes",
        "rate(5 weeks)",
        "rate(five minutes)",
        "cron(0 3 * *)",
        "",
        "at(2025-01-01T00:00:00)",
    ],
)
def test_an_unsupported_expression_is_a_value_error(expression: str) -> None:
    with pytest.raises(ValueError):
        next_fire_time(expression, WEDNESDAY)


def test_a_rate_of_zero_is_rejected_rather_than_firing_continuously() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        next_fire_time("rate(0 minutes)", datetime(2026, 12, 1, tzinfo=UTC))
