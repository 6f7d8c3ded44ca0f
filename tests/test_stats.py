"""/stats/: server-rendered charts of the catalog and the file host, numbers cached a minute."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from catalog import selectors as catalog_selectors
from catalog.tests.factories import make_category, make_image
from nekosite.views import STATS_CACHE_KEY, STATS_CACHE_SECONDS
from uploads import selectors as upload_selectors
from uploads.models import Upload

pytestmark = pytest.mark.django_db


def _upload(owner: User, name: str, size: int, days_ago: int = 0) -> Upload:
    when = timezone.now() - datetime.timedelta(days=days_ago)
    return Upload.objects.create(
        owner=owner,
        name=name,
        size=size,
        content_type="text/plain",
        sha256="0" * 64,
        created_at=when,
    )


@pytest.fixture
def data() -> dict[str, object]:
    maid, uniform = make_category(name="Maid"), make_category(name="School Uniform")
    make_category(name="Empty")
    for _ in range(3):
        make_image(categories=[maid, uniform])
    make_image(categories=[maid], nsfw="questionable")
    make_image(nsfw="nsfw")
    owner = User.objects.create_user(username="moptop", password="a long passphrase 42")
    _upload(owner, "aaaaaaa.txt", 100)
    _upload(owner, "bbbbbbb.txt", 50)
    _upload(owner, "ccccccc.txt", 7, days_ago=3)
    _upload(owner, "ddddddd.txt", 1000, days_ago=45)  # outside the 30-day chart, still a total
    return {"maid": maid}


def test_rating_counts_cover_every_rating_in_one_query(data: object) -> None:
    with CaptureQueriesContext(connection) as queries:
        counts = catalog_selectors.image_count_by_rating()
    assert counts == {"sfw": 3, "questionable": 1, "nsfw": 1}
    assert len(queries) == 1


def test_category_counts_biggest_first_in_one_query(data: object) -> None:
    with CaptureQueriesContext(connection) as queries:
        rows = catalog_selectors.category_image_counts(limit=2)
    assert rows == [("Maid", 4), ("School Uniform", 3)]
    assert len(queries) == 1


def test_uploads_per_day_fills_every_day_of_the_window(data: object) -> None:
    with CaptureQueriesContext(connection) as queries:
        days = upload_selectors.uploads_per_day(days=30)
    assert len(queries) == 1
    assert len(days) == 30
    today = timezone.localdate()
    assert days[-1] == (today, 2)
    assert dict(days)[today - datetime.timedelta(days=3)] == 1
    assert sum(count for _, count in days) == 3  # the 45-day-old file is outside the window
    assert days[0][0] == today - datetime.timedelta(days=29)


def test_upload_totals_count_every_file_and_byte(data: object) -> None:
    assert upload_selectors.upload_totals() == (4, 1157)


def test_empty_site_has_zero_totals_and_still_renders() -> None:
    assert upload_selectors.upload_totals() == (0, 0)
    response = Client().get("/stats/")
    assert response.status_code == 200
    assert "No categories yet." in response.content.decode()


def test_stats_page_renders_the_numbers_and_three_charts(data: object) -> None:
    response = Client().get("/stats/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<svg class="chart" role="img"') == 3
    for label in ("Images by rating", "Images per category", "Uploads per day"):
        assert f'aria-label="{label}' in html
    totals = {
        label.strip(): value
        for value, label in re.findall(
            r'<span class="total-value">([^<]+)</span> <span class="total-label">([^<]+)</span>',
            html,
        )
    }
    assert totals["images in the catalog"] == "5"
    assert totals["uploaded files"] == "4"
    assert totals["uploads in the last 30 days"] == "3"
    assert totals["stored by uploaders"] == "1.1\xa0KB"
    # The data tables behind the charts (for screen readers and copy-paste).
    assert '<td>Safe</td><td class="num">3</td>' in html
    assert '<td>Questionable</td><td class="num">1</td>' in html
    assert '<td>Maid</td><td class="num">4</td>' in html
    assert "<title>Maid: 4</title>" in html


def test_stats_page_runs_a_fixed_number_of_queries_whatever_the_data(data: Any) -> None:
    with CaptureQueriesContext(connection) as small:
        Client().get("/stats/")
    cache.clear()
    maid = data["maid"]
    owner = User.objects.get(username="moptop")
    for n in range(10):
        make_image(categories=[maid, make_category()])
        _upload(owner, f"x{n:06d}.txt", 10, days_ago=n)
    with CaptureQueriesContext(connection) as large:
        Client().get("/stats/")
    assert len(small) == len(large) == 4


def test_stats_numbers_are_cached_for_a_minute(data: object) -> None:
    Client().get("/stats/")
    assert cache.get(STATS_CACHE_KEY)["images"] == 5
    assert STATS_CACHE_SECONDS == 60
    make_image()
    with CaptureQueriesContext(connection) as queries:
        html = Client().get("/stats/").content.decode()
    assert len(queries) == 0  # served from the cache: the new image shows up after a minute
    assert '<span class="total-value">5</span>' in html
    cache.delete(STATS_CACHE_KEY)
    assert '<span class="total-value">6</span>' in Client().get("/stats/").content.decode()


def test_stats_page_is_linked_from_the_navigation_and_marked_current() -> None:
    html = Client().get("/stats/").content.decode()
    assert '<a href="/stats/" aria-current="page">Stats</a>' in html
    gallery = Client().get("/").content.decode()
    assert '<a href="/stats/">Stats</a>' in gallery


def test_stats_page_only_answers_get() -> None:
    assert Client().post("/stats/").status_code == 405
