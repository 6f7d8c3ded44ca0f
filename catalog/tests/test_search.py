"""Seed 001's search language (catalog/search.py), in memory (RE2) and on the database."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog import search, selectors
from catalog.models import Character
from catalog.tests.factories import make_character

# Every row of seed 001's operator table: (query, names that match, names that do not).
TABLE = [
    # "% | Matches any character one or more times. | %aguya% matches kaguya-sama"
    ("%aguya%", ["kaguya-sama", "xaguyax"], ["aguya", "kaguya", "aguyax"]),
    # "_ | Matches any single character. | k_guya matches kaguya"
    ("k_guya", ["kaguya", "kxguya"], ["kguya", "kaaguya"]),
    # "| | Matches at least one of the options. | kaguya|megumin matches kaguya and also megumin"
    ("kaguya|megumin", ["kaguya", "megumin"], ["kaguyamegumin", "aqua"]),
    # "* | ... 0 or more times. | k*aguya matches aguya, kaguya, and also kkaguya"
    ("k*aguya", ["aguya", "kaguya", "kkaguya"], ["xaguya"]),
    # "+ | ... 1 or more times. | kaguya+ matches kaguya, kaguyaa, and also kaguyaaa"
    ("kaguya+", ["kaguya", "kaguyaa", "kaguyaaa"], ["kaguy"]),
    # "? | ... 0 or 1 times. | kaguya? matches kaguy and kaguya"
    ("kaguya?", ["kaguy", "kaguya"], ["kaguyaa"]),
    # "{m} | ... exactly m times. | kaguya{3} matches kaguyaaa"
    ("kaguya{3}", ["kaguyaaa"], ["kaguyaa", "kaguyaaaa"]),
    # "{m,} | ... m or more times. | kaguya{2,} matches kaguyaa, kaguyaaa and also kaguyaaaa"
    ("kaguya{2,}", ["kaguyaa", "kaguyaaa", "kaguyaaaa"], ["kaguya"]),
    # "{m,n} | ... at least m times and no more than n times. | kaguya{2,4} matches kaguyaa,
    # kaguyaaa, and kaguyaaaa"
    ("kaguya{2,4}", ["kaguyaa", "kaguyaaa", "kaguyaaaa"], ["kaguya", "kaguyaaaaa"]),
    # "(...) | Groupes items into a single logical item. | (kaguya){1,3} matches kaguya,
    # kaguyakaguya, and kaguyakaguyakaguya"
    (
        "(kaguya){1,3}",
        ["kaguya", "kaguyakaguya", "kaguyakaguyakaguya"],
        ["kaguyakaguyakaguyakaguya", "kaguyaa"],
    ),
    # "[...] | Specifies a RegEx character class. | [a-z]kaguya matches akaguya, bkaguya,
    # ckaguya, etc."
    ("[a-z]kaguya", ["akaguya", "bkaguya", "ckaguya"], ["kaguya", "1kaguya"]),
    # "%?kaguya(-sama)?%? to match kaguya or kaguya-sama inside a longer string (i.e.
    # abckaguya-samadef, kaguya123)"
    (
        "%?kaguya(-sama)?%?",
        ["kaguya", "kaguya-sama", "abckaguya-samadef", "kaguya123", "abckaguya"],
        ["kaguy", "megumin"],
    ),
]


@pytest.mark.parametrize(("query", "good", "bad"), TABLE)
def test_operator_table_in_memory(query: str, good: list[str], bad: list[str]) -> None:
    for name in good:
        assert search.matches(query, name), (query, name)
    for name in bad:
        assert not search.matches(query, name), (query, name)


def test_search_is_case_insensitive() -> None:
    # Seed 001: "Search matches are always case-insenitive."
    assert search.matches("KAGUYA", "kaguya")
    assert search.matches("kaguya", "Kaguya")
    assert search.matches("[A-Z]aguya", "kaguya")


def test_the_whole_name_must_match() -> None:
    assert not search.matches("kaguya", "kaguya-sama")
    assert not search.matches("sama", "kaguya-sama")


def test_percent_question_mark_is_an_optional_run_not_a_lazy_quantifier() -> None:
    assert search.translate("%?") == "(?:.+)?"
    assert search.matches("a%?", "a") and search.matches("a%?", "abc")


def test_every_translated_operator_is_a_group() -> None:
    assert search.translate("%") == "(?:.+)"
    assert search.translate("_") == "(?:.)"
    assert search.translate("(ab)") == "(?:ab)"


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("100\\%", "100%"),
        ("snake\\_case", "snake_case"),
        ("a\\|b", "a|b"),
        ("a\\*", "a*"),
        ("\\(kaguya\\)", "(kaguya)"),
        ("what\\?", "what?"),
        ("\\[tag\\]", "[tag]"),
        ("a\\{2\\}", "a{2}"),
        ("back\\\\slash", "back\\slash"),
        ("[\\]]", "]"),
    ],
)
def test_backslash_makes_an_operator_literal(query: str, name: str) -> None:
    assert search.matches(query, name)


def test_escaped_operators_do_not_act() -> None:
    assert not search.matches("100\\%", "1000")
    assert not search.matches("snake\\_case", "snakexcase")


@pytest.mark.parametrize(
    ("query", "name"),
    [("a.b", "a.b"), ("$5", "$5"), ("^hat", "^hat"), ("a-b", "a-b"), ("x/y:z", "x/y:z")],
)
def test_other_regex_characters_are_literal(query: str, name: str) -> None:
    assert search.matches(query, name)
    assert not search.matches("a.b", "axb")


@pytest.mark.parametrize(
    "query",
    [
        "(kaguya",
        "kaguya)",
        "[abc",
        "abc]",
        "[]",
        "a{2",
        "a{x}",
        "a{,3}",
        "a{3,1}",
        "a{5000}",
        "a{256}",  # PostgreSQL allows at most 255
        "((a{100}){100})",  # RE2 refuses nested repeats over 1000
        "{2}",
        "*a",
        "+a",
        "?a",
        "a**",
        "c++",  # a repeat of a repeat; write c\\+\\+ for the language
        "a|*",
        "(*)",
        "[z-a]",
        "\\1",
        "(a)\\1",
        "trailing\\",
        "a}",
    ],
)
def test_invalid_patterns_raise_a_clear_error(query: str) -> None:
    with pytest.raises(search.SearchError) as excinfo:
        search.name_pattern(query)
    assert str(excinfo.value).startswith("The search query ")


def test_longer_than_50_characters_is_refused() -> None:
    with pytest.raises(search.SearchError, match="longer than 50 characters"):
        search.name_pattern("a" * 51)
    search.name_pattern("a" * 50)


def test_pathological_pattern_is_linear_in_memory() -> None:
    # A backtracking engine never finishes this; RE2 answers at once.
    assert not search.matches("(%+)+____________!", "a" * 50)


# --- on the database (SQLite's REGEXP is RE2; PostgreSQL runs ~*) ------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "good", "bad"), TABLE)
def test_operator_table_on_the_database(query: str, good: list[str], bad: list[str]) -> None:
    for name in good + bad:
        make_character(name=name.upper() if name == good[0] else name)
    found = {c["name"].lower() for c in selectors.character_search(search=query, limit=25)}
    assert found == {name.lower() for name in good}


@pytest.mark.django_db
def test_escapes_and_literals_on_the_database() -> None:
    for name in ["100%", "1000", "snake_case", "snakexcase", "a.b", "axb", "(kaguya)", "[tag]"]:
        make_character(name=name)

    def names(query: str) -> list[str]:
        return [c["name"] for c in selectors.character_search(search=query, limit=25)]

    assert names("100\\%") == ["100%"]
    assert names("snake\\_case") == ["snake_case"]
    assert names("a.b") == ["a.b"]
    assert names("\\(kaguya\\)") == ["(kaguya)"]
    assert names("\\[tag\\]") == ["[tag]"]
    assert names("[\\[(]%") == ["(kaguya)", "[tag]"]


@pytest.mark.django_db
def test_pathological_pattern_finishes_fast_on_the_database() -> None:
    Character.objects.bulk_create(
        [Character(name="a" * 60 + str(i)) for i in range(50)] + [Character(name="a" * 180)]
    )
    assert selectors.character_search(search="(%+)+____________!", limit=25) == []
    assert selectors.character_search(search="(a+)+b", limit=25) == []
    assert selectors.character_search(search="(a|a)*(a|a)*(a|a)*c", limit=25) == []


@pytest.mark.django_db
def test_unicode_names_match_case_insensitively() -> None:
    make_character(name="Émilie")
    make_character(name="猫娘")
    assert [c["name"] for c in selectors.character_search(search="émilie", limit=5)] == ["Émilie"]
    assert [c["name"] for c in selectors.character_search(search="猫_", limit=5)] == ["猫娘"]


# --- properties ----------------------------------------------------------------------------------

# Operators and their neighbours come up often, so the search language itself gets exercised.
_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("%_|*+?{}()[]\\^$.-,0123456789akKé ")),
        st.characters(blacklist_categories=("Cc", "Cs")),
    ),
    max_size=search.MAX_QUERY_LENGTH,
)


@given(_TEXT)
@settings(max_examples=400, deadline=None)
def test_any_query_is_either_a_valid_re2_pattern_or_a_search_error(query: str) -> None:
    import re2

    try:
        pattern = search.name_pattern(query)
    except search.SearchError:
        return
    assert pattern.startswith("^(?:") and pattern.endswith(")$")
    re2.compile("(?i)" + pattern)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=25))
@settings(max_examples=300, deadline=None)
def test_an_escaped_name_matches_itself(name: str) -> None:
    query = "".join("\\" + c if c in search.OPERATORS else c for c in name)
    if not name or len(query) > search.MAX_QUERY_LENGTH:
        return
    assert search.matches(query, name)


@pytest.mark.django_db
@given(_TEXT)
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_answers_any_search_with_200_or_400(client, query: str) -> None:
    response = client.get("/api/v1/character", {"search": query})
    assert response.status_code in (200, 400), (query, response.content)
    assert response.json()["success"] is (response.status_code == 200)


# --- the order of searched pages (catalog.selectors._name_page) -------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["artist", "character", "category"])
def test_searched_pages_are_by_name_then_id_with_exact_offsets(kind: str) -> None:
    from catalog.tests.factories import make_artist, make_category

    make = {"artist": make_artist, "character": make_character, "category": make_category}[kind]
    find = getattr(selectors, f"{kind}_search")
    # Categories have unique names; artists and characters may share one (then id decides).
    names = ["Kaguya B", "Kaguya D", "Kaguya C", "Kaguya B", "Megumin", "Kaguya A"]
    if kind == "category":
        names = list(dict.fromkeys(names))
    made: list[Any] = [make(name=name) for name in names]
    expected = sorted(
        ((row.name, row.id) for row in made if "aguya" in row.name.lower()),
        key=lambda pair: (pair[0], str(pair[1])),
    )
    for offset in range(len(expected) + 1):
        page = find(search="%aguya%", limit=2, offset=offset)
        assert [(row["name"], row["id"]) for row in page] == expected[offset : offset + 2]


@pytest.mark.django_db
def test_search_order_cannot_be_served_by_the_name_btree() -> None:
    """Seen at 1M images: ordered by plain `name`, PostgreSQL walked the btree on name in order
    and tested the pattern on every row instead of using the trigram index (bench/README.md).
    Even with sorting disabled, the searched page sorts; a plain listing walks the btree."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("query plans are PostgreSQL's")
    for n in range(30):
        make_character(name=f"Kaguya {n}")

    def plan(**kwargs: Any) -> str:
        with CaptureQueriesContext(connection) as queries:
            selectors.character_search(limit=10, **kwargs)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + queries.captured_queries[-1]["sql"])
            lines = [row[0] for row in cursor.fetchall()]
            cursor.execute("RESET enable_sort")
            cursor.execute("RESET enable_seqscan")
        return "\n".join(lines)

    searched = plan(search="%aguya%")
    assert "Sort" in searched and "catalog_character_name_" not in searched.split("Sort")[0]
    assert "catalog_character_name_" in plan()  # the control: the btree does serve `name`
