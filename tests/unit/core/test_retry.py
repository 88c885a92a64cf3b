"""``parse_retry_after`` and :class:`RetryPolicy`: which failures are retried, and how long to wait."""

from __future__ import annotations

import email.utils
import time

import pytest

from nanogpt_integrations.core import RETRYABLE_STATUSES, RetryPolicy, parse_retry_after


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", 1.0), ("0", 0.0), ("2.5", 2.5), ("  30 ", 30.0), ("-4", 0.0)],
)
def test_parse_retry_after_seconds(value: str, expected: float) -> None:
    assert parse_retry_after(value) == expected


def test_parse_retry_after_http_date() -> None:
    now = 1_700_000_000.0
    header = email.utils.formatdate(now + 90, usegmt=True)
    assert parse_retry_after(header, now=now) == pytest.approx(90.0, abs=1.0)


def test_parse_retry_after_http_date_in_the_past_is_zero() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after(email.utils.formatdate(now - 600, usegmt=True), now=now) == 0.0


def test_parse_retry_after_http_date_against_the_clock() -> None:
    header = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25.0 <= parse_retry_after(header) <= 31.0  # type: ignore[operator]


@pytest.mark.parametrize("value", [None, "", "soon", "nan", "Mon, 99 Foo 20xx", "1 2 3"])
def test_parse_retry_after_garbage_is_none(value: str | None) -> None:
    assert parse_retry_after(value) is None


def test_retryable_statuses_match_the_reference() -> None:
    # api-reference/miscellaneous/error-handling.mdx: retry 408, 429, 500, 503 (and 504, a timeout);
    # 502 is a transient gateway failure; never 400, 401, 402, 403, 404, 409, 413.
    assert frozenset({408, 429, 500, 502, 503, 504}) == RETRYABLE_STATUSES


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504, None])
def test_should_retry_transient(status: int | None) -> None:
    policy = RetryPolicy(max_retries=2)
    assert policy.should_retry(0, status)
    assert policy.should_retry(1, status)
    assert not policy.should_retry(2, status)


@pytest.mark.parametrize("status", [301, 400, 401, 402, 403, 404, 409, 413, 422])
def test_should_not_retry_client_errors(status: int) -> None:
    assert not RetryPolicy(max_retries=5).should_retry(0, status)


def test_max_retries_zero_never_retries() -> None:
    policy = RetryPolicy(max_retries=0)
    assert not policy.should_retry(0, 503)
    assert not policy.should_retry(0, None)


def test_retry_after_is_honoured_up_to_the_cap() -> None:
    policy = RetryPolicy(max_retry_after=60.0)
    assert policy.delay(0, "1") == 1.0
    assert policy.delay(3, "7") == 7.0
    assert policy.delay(0, "60") == 60.0


@pytest.mark.parametrize("hint", ["60.5", "3600", "100000"])
def test_retry_after_above_the_cap_means_do_not_retry(hint: str) -> None:
    assert RetryPolicy(max_retry_after=60.0).delay(0, hint) is None


def test_retry_after_date_above_the_cap_means_do_not_retry() -> None:
    assert RetryPolicy().delay(0, email.utils.formatdate(time.time() + 7200, usegmt=True)) is None


@pytest.mark.parametrize("hint", ["0", "-5", "0.0", "inf", "-inf"])
def test_retry_after_zero_or_negative_falls_back_to_backoff(hint: str) -> None:
    policy = RetryPolicy(initial_delay=0.5, max_delay=8.0)
    for attempt, backoff in ((0, 0.5), (2, 2.0)):
        delays = [policy.delay(attempt, hint) for _ in range(50)]
        assert all(d is not None and backoff / 2 <= d <= backoff for d in delays), delays


def test_retry_after_date_in_the_past_falls_back_to_backoff() -> None:
    past = email.utils.formatdate(time.time() - 600, usegmt=True)
    delays = [RetryPolicy(initial_delay=0.5).delay(0, past) for _ in range(50)]
    assert all(d is not None and 0.25 <= d <= 0.5 for d in delays)


def test_garbage_retry_after_falls_back_to_backoff() -> None:
    policy = RetryPolicy(initial_delay=0.5, max_delay=8.0)
    for _ in range(50):
        assert 0.25 <= policy.delay(0, "later") <= 0.5


@pytest.mark.parametrize(("attempt", "backoff"), [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)])
def test_backoff_with_jitter_bounds(attempt: int, backoff: float) -> None:
    policy = RetryPolicy(initial_delay=0.5, max_delay=8.0)
    delays = [policy.delay(attempt) for _ in range(200)]
    assert all(backoff / 2 <= d <= backoff for d in delays)
    assert len(set(delays)) > 1, "jitter must vary the delay"


def test_backoff_cap_is_respected() -> None:
    policy = RetryPolicy(initial_delay=1.0, max_delay=3.0)
    assert all(policy.delay(10) <= 3.0 for _ in range(100))
