"""The search-query builder: whatever a person types becomes plain words (never FTS5 or
tsquery syntax), highlights point at the right characters, date ranges split into days."""

from __future__ import annotations

import importlib.util
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genfactory.store import search
from genfactory.store.highlights import highlights
from genfactory.store.search import SearchQuery, parse_search
from genfactory.store.stats import DAY, split_days
from tests.unit.store.records import job_record


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("Lighthouse at DUSK", ("lighthouse", "at", "dusk")),
        ('"quoted" phrase', ("quoted", "phrase")),
        ("light*", ("light",)),
        ("-fox NOT snow", ("fox", "not", "snow")),
        ("NEAR(fox snow, 3)", ("near", "fox", "snow", "3")),
        ("(a OR b) AND c", ("a", "or", "b", "and", "c")),
        ("100% _under_score_", ("100", "under", "score")),
        ("' OR 1=1; DROP TABLE jobs; --", ("or", "1", "drop", "table", "jobs")),
        ("col:fox ^start {x}", ("col", "fox", "start", "x")),
        ("fox fox FOX", ("fox",)),
        ("café Straße 東京", ("café", "straße", "東京")),
    ],
)
def test_words_are_letters_and_digits_only(raw: str, words: tuple[str, ...]) -> None:
    query = parse_search(raw)
    assert query is not None and query.words == words


def test_blank_is_no_search_and_punctuation_is_no_word() -> None:
    assert parse_search(None) is None
    assert parse_search("   ") is None
    nothing = parse_search("%*()'\"")
    assert nothing is not None and nothing.words == ()


def test_query_strings_quote_every_word_and_only_the_last_is_a_prefix() -> None:
    query = SearchQuery(("light", "a", "3d"))
    assert query.fts5 == '"light" "a" "3d"*'
    assert query.tsquery == "'light' & 'a' & '3d':*"
    single = SearchQuery(("x",))
    assert (single.fts5, single.tsquery) == ('"x"', "'x'")


def test_words_are_capped() -> None:
    query = parse_search(" ".join(f"w{n}" for n in range(40)) + " " + "x" * 500)
    assert query is not None and len(query.words) == search.MAX_SEARCH_WORDS
    long = parse_search("y" * 500)
    assert long is not None and long.words == ("y" * search.MAX_WORD_LENGTH,)


@pytest.mark.parametrize(
    ("raw", "prefix"),
    [
        ("3f2a9c1b", "3f2a9c1b"),
        ("  3F2A9C  ", "3f2a9c"),
        ("cafe", None),  # too short: would match ids by chance
        ("decade", "decade"),
        ("3f2a9c1b extra", None),  # two words: a text search
        ("3f2a9g1b", None),  # not hexadecimal
    ],
)
def test_id_prefixes(raw: str, prefix: str | None) -> None:
    query = parse_search(raw)
    assert query is not None and query.id_prefix == prefix
    if prefix:
        low, high = query.id_range() or ("", "")
        assert low == prefix and high > prefix and high[:-1] == prefix[:-1]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_is_a_valid_fts5_query(raw: str) -> None:
    query = parse_search(raw)
    if query is None or not query.words:
        return
    conn = sqlite3.connect(":memory:")
    conn.execute(
        "CREATE VIRTUAL TABLE t USING fts5(label, prompt, "
        "tokenize='unicode61 remove_diacritics 2', prefix='2 3')"
    )
    conn.execute("INSERT INTO t VALUES (?, ?)", ("a label", raw))
    conn.execute("SELECT rowid FROM t WHERE t MATCH ?", (query.fts5,)).fetchall()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                '"',
                "'",
                "*",
                "-",
                "(",
                ")",
                "NEAR",
                "%",
                "_",
                ":",
                "^",
                "AND",
                "OR",
                "NOT",
                "+",
                "\\",
                "fox",
            ]
        ),
        max_size=12,
    )
)
def test_syntax_soup_never_reaches_the_query_language(parts: list[str]) -> None:
    query = parse_search(" ".join(parts)) or SearchQuery(())
    for word in query.words:
        assert word.isalnum()
    assert "NEAR" not in query.fts5 and "AND" not in query.fts5
    for forbidden in ("(", ")", "!", "|", "&", ":", "'"):
        assert all(forbidden not in w for w in query.words)


def test_highlights_are_utf16_offsets_merged_and_whole_word_for_one_letter() -> None:
    job = job_record(label="Light lighthouse", prompt="🌊 a light, a Lamp; alight")
    query = parse_search("a light")
    assert query is not None
    marks = highlights(job, query).as_dict()
    assert marks["label"] == [[0, 5], [6, 11]]
    whole = parse_search("light a")
    assert whole is not None
    assert highlights(job, whole).as_dict()["label"] == [[0, 5]], "only the last is a prefix"
    # 🌊 is two UTF-16 units; "a" matches only the whole word; "alight" does not start with
    # "light" (a word must begin with it).
    assert marks["prompt"] == [[3, 4], [5, 10], [12, 13]]
    assert "id" not in marks


def test_highlights_ignore_accents_and_case_as_the_search_does() -> None:
    # "cafe" finds "Café" (and "unicode" finds "ünïcödé"): the marks cover those words.
    job = job_record(label="Un Café à Paris", prompt="🎨 ünïcödé cafés, de-cafe")
    query = parse_search("unicode cafe")
    assert query is not None
    marks = highlights(job, query).as_dict()
    assert marks["label"] == [[3, 7]]
    # 🎨 is two UTF-16 units; "cafe" is the last word, so a prefix ("cafés" too).
    assert marks["prompt"] == [[3, 10], [11, 15], [21, 25]]
    decomposed = job_record(prompt="cafe\u0301 noir")  # é as e + combining accent
    exact = parse_search("café")
    assert exact is not None
    assert highlights(decomposed, exact).as_dict()["prompt"] == [[0, 5]]


def test_highlights_mark_an_id_prefix() -> None:
    job = job_record(id="3f2a9c1b" + "0" * 24)
    query = parse_search("3f2a9c1b")
    assert query is not None
    assert highlights(job, query).as_dict() == {"id": [[0, 8]]}


@pytest.mark.parametrize(
    ("start", "end", "first_day", "end_day", "edges"),
    [
        (None, None, None, None, ()),
        (10 * DAY, 12 * DAY, 10, 12, ()),
        (10.5 * DAY, 12 * DAY, 11, 12, ((10.5 * DAY, 11 * DAY),)),
        (10 * DAY, 12.25 * DAY, 10, 12, ((12 * DAY, 12.25 * DAY),)),
        (10.5 * DAY, 12.25 * DAY, 11, 12, ((10.5 * DAY, 11 * DAY), (12 * DAY, 12.25 * DAY))),
        (10.5 * DAY, 10.75 * DAY, 0, 0, ((10.5 * DAY, 10.75 * DAY),)),
        (10.5 * DAY, 11.5 * DAY, 0, 0, ((10.5 * DAY, 11.5 * DAY),)),
        (None, 3.5 * DAY, None, 3, ((3 * DAY, 3.5 * DAY),)),
        (3.5 * DAY, None, 4, None, ((3.5 * DAY, 4 * DAY),)),
        (5 * DAY, 5 * DAY, 0, 0, ()),
    ],
)
def test_date_ranges_split_into_whole_days_and_edges(
    start: float | None,
    end: float | None,
    first_day: int | None,
    end_day: int | None,
    edges: tuple[tuple[float, float], ...],
) -> None:
    split = split_days(start, end)
    assert (split.first_day, split.end_day, split.edges) == (first_day, end_day, edges)


def test_postgres_search_document_matches_the_migration() -> None:
    path = Path(search.__file__).parent / "migrations" / "versions" / "0003_job_management.py"
    spec = importlib.util.spec_from_file_location("migration_0003", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.PG_SEARCH_DOCUMENT == search.SEARCH_DOCUMENT


@pytest.mark.parametrize(
    ("prefix", "following"),
    [
        ("port", "poru"),
        ("az", "a{"),
        ("caf\u00e9", "caf\u00ea"),
        ("a\ud7ff", "a\ue000"),  # the next code point would be a surrogate: skipped
        ("a\U0010ffff", "b"),
        ("\U0010ffff", None),
    ],
)
def test_a_prefix_is_one_range_of_words(prefix: str, following: str | None) -> None:
    assert search._following(prefix) == following
    if following is not None:  # every word that starts with the prefix sorts before it
        for word in (prefix, prefix + "a", prefix + "\U0010ffff" * 3):
            assert prefix <= word < following


def test_whole_words_make_a_literal_of_lexemes_only() -> None:
    query = SearchQuery(("summer", "hero"), last_words=(("hero", 9), ("heroic", 2)))
    assert query.tsquery_of_words() == "'summer' & ( 'hero' | 'heroic' )"
    assert SearchQuery(("port",), last_words=(("port", 1),)).tsquery_of_words() == "'port'"
    assert SearchQuery(("zzz",), last_words=()).tsquery_of_words() is None
    odd = SearchQuery(("it's",), last_words=(("it's", 1), ("a\\b", 1)))
    assert odd.tsquery_of_words() == "( 'it''s' | 'a\\\\b' )"


def test_walking_a_covering_index_is_chosen_for_fewer_matches() -> None:
    # 2,940 of a million, 25 wanted: collecting reads 2,940 rows; the walk ~8,500 entries,
    # which is cheaper only when an entry is checked without reading the row.
    assert not search.walk_sort_index(2_940, 1_000_000, 25)
    assert search.walk_sort_index(2_940, 1_000_000, 25, covered=True)
    assert not search.walk_sort_index(498, 1_000_000, 25, covered=True)
    assert not search.walk_sort_index(0, 1_000_000, 25, covered=True)
    # Start from the search only when it is much smaller than the filters.
    assert search.search_first(498, 850_000)
    assert not search.search_first(9_907, 14_700)
