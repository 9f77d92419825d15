"""EventBridge schedules, locally: moto never fires scheduled rules, so a timer does,
and tests fire a schedule on demand."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

__all__ = ["Schedule", "Scheduler", "next_fire_time"]

_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.+)\)$")


def _field_matches(spec: str, value: int, low: int) -> bool:
    if spec in {"*", "?"}:
        return True
    for part in spec.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
        if part in {"*", "?"}:
            start, end = low, 10**6
        elif "-" in part:
            start, end = (int(x) for x in part.split("-", 1))
        else:
            start = end = int(part)
            if step > 1:
                end = 10**6
        if start <= value <= end and (value - start) % step == 0:
            return True
    return False


def next_fire_time(expression: str, after: datetime) -> datetime:
    """The first instant strictly after ``after`` at which the schedule fires (UTC)."""
    rate = _RATE.match(expression.strip())
    if rate:
        amount, unit = int(rate.group(1)), rate.group(2).rstrip("s")
        if amount < 1:
            raise ValueError(f"a rate must be at least 1: {expression!r}")
        return (
            after
            + {
                "minute": timedelta(minutes=amount),
                "hour": timedelta(hours=amount),
                "day": timedelta(days=amount),
            }[unit]
        )
    cron = _CRON.match(expression.strip())
    if not cron:
        raise ValueError(f"unsupported schedule expression {expression!r}")
    minute, hour, day, month, weekday, *_ = cron.group(1).split()
    moment = (after + timedelta(minutes=1)).replace(second=0, microsecond=0)
    for _ in range(60 * 24 * 366):
        # EventBridge numbers weekdays 1 (Sunday) to 7 (Saturday).
        eb_weekday = (moment.isoweekday() % 7) + 1
        if (
            _field_matches(minute, moment.minute, 0)
            and _field_matches(hour, moment.hour, 0)
            and _field_matches(day, moment.day, 1)
            and _field_matches(month, moment.month, 1)
            and _field_matches(weekday, eb_weekday, 1)
        ):
            return moment
        moment += timedelta(minutes=1)
    raise ValueError(f"schedule {expression!r} never fires within a year")


class Schedule:
    def __init__(self, logical_id: str, expression: str, fire: Callable[[], None]) -> None:
        self.logical_id = logical_id
        self.expression = expression
        self.fire = fire


class Scheduler:
    """A single daemon thread that sleeps until the next schedule is due."""

    def __init__(self, schedules: list[Schedule]) -> None:
        self._schedules = schedules
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if not self._schedules or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="localcloud-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        now = datetime.now(UTC)
        due = {s.logical_id: next_fire_time(s.expression, now) for s in self._schedules}
        while not self._stop.is_set():
            now = datetime.now(UTC)
            for schedule in self._schedules:
                if due[schedule.logical_id] <= now:
                    due[schedule.logical_id] = next_fire_time(schedule.expression, now)
                    try:
                        schedule.fire()
                    except Exception as error:  # noqa: BLE001 - a failing job must not stop the timer
                        print(f"[localcloud] schedule {schedule.logical_id} failed: {error!r}")
            wait = min((d - datetime.now(UTC)).total_seconds() for d in due.values())
            self._stop.wait(max(0.5, min(wait, 30.0)))
