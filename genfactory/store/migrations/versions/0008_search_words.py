"""PostgreSQL: the search's vocabulary with exact job counts; the search index without a
pending list

Revision ID: 0008
Revises: 0007

Two costs of PostgreSQL's search (0003) grow with the number of matches, whatever the page
shows:

* **Counting** visits the heap page of every match (a GIN index has no index-only scans),
  ~3 µs each: a word found in 100,000 jobs took 300 ms to count.
* **A prefix word** ("portrait" typed as the beginning of a word) is a GIN *partial match*,
  which gathers every matching entry into a bitmap before the scan starts: 60–80 ms for a
  word in 10 % of a million jobs, against 20–25 ms for the same word looked up whole.

``search_words`` holds every word (lexeme) of every job's ``search_vector`` with the number
of jobs that contain it, kept in step with ``jobs`` by triggers in the same transaction
(like ``job_counts``), so it is exact in every snapshot. The list uses it to turn the prefix
into the whole words it stands for (a few index entries) and to take the total of a one-word
search from the count of its most common word, counting only the rest through the index.

Rows are never deleted: a word whose jobs are all gone stays with ``jobs = 0``. The set of
words only grows, so a search can check afterwards, in one index lookup, that nobody added
a word under its prefix while it ran (``genfactory.store.search``). ``word`` sorts by code
point (``COLLATE "C"``), so the words with a given prefix are one index range.

The GIN index stops collecting new entries in a pending list (``fastupdate = off``): every
search reads the whole list besides the index until it is merged, and the insert that fills
it (4 MB) pays for the merge (the manual's "GIN Fast Update Technique"). Without it, each
new job writes its ~16 entries into the index directly (with this migration's trigger,
~0.1–0.2 ms more per job inserted, measured).

SQLite needs neither: FTS5 counts in its own doclists and keeps prefix indexes ('2 3').
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _function(name: str, rows: str) -> str:
    """A trigger function adding each word's change in jobs (``rows``: word, delta), in word
    order, so two transactions touching the same words lock them in the same order."""
    return f"""CREATE FUNCTION genfactory_search_words_{name}() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO search_words AS w (word, jobs)
        {rows}
        ON CONFLICT (word) DO UPDATE SET jobs = w.jobs + excluded.jobs;
        RETURN NULL;
    END $$"""


PG = [
    """CREATE TABLE search_words (
        word text COLLATE "C" NOT NULL,
        jobs integer NOT NULL,
        CONSTRAINT pk_search_words PRIMARY KEY (word)
    )""",
    _function(
        "added",
        """SELECT t.lexeme, count(*) FROM added_jobs AS n, unnest(n.search_vector) AS t
        GROUP BY t.lexeme ORDER BY t.lexeme""",
    ),
    _function(
        "removed",
        """SELECT t.lexeme, -count(*) FROM removed_jobs AS o, unnest(o.search_vector) AS t
        GROUP BY t.lexeme ORDER BY t.lexeme""",
    ),
    _function(
        "changed",
        """SELECT d.lexeme, sum(d.delta) FROM (
            SELECT lexeme, 1 AS delta FROM unnest(NEW.search_vector)
            UNION ALL SELECT lexeme, -1 FROM unnest(OLD.search_vector)
        ) AS d
        GROUP BY d.lexeme HAVING sum(d.delta) <> 0 ORDER BY d.lexeme""",
    ),
    """CREATE TRIGGER jobs_words_insert AFTER INSERT ON jobs
        REFERENCING NEW TABLE AS added_jobs
        FOR EACH STATEMENT EXECUTE FUNCTION genfactory_search_words_added()""",
    """CREATE TRIGGER jobs_words_delete AFTER DELETE ON jobs
        REFERENCING OLD TABLE AS removed_jobs
        FOR EACH STATEMENT EXECUTE FUNCTION genfactory_search_words_removed()""",
    """CREATE TRIGGER jobs_words_update AFTER UPDATE OF label, prompt ON jobs
        FOR EACH ROW
        WHEN (OLD.label IS DISTINCT FROM NEW.label OR OLD.prompt IS DISTINCT FROM NEW.prompt)
        EXECUTE FUNCTION genfactory_search_words_changed()""",
    """INSERT INTO search_words (word, jobs)
        SELECT t.lexeme, count(*) FROM jobs, unnest(jobs.search_vector) AS t GROUP BY t.lexeme""",
    "ALTER INDEX ix_jobs_search SET (fastupdate = off)",
    "SELECT gin_clean_pending_list('ix_jobs_search'::regclass)",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for statement in PG:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("ALTER INDEX ix_jobs_search RESET (fastupdate)")
    for name in ("jobs_words_insert", "jobs_words_delete", "jobs_words_update"):
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON jobs")
    for name in ("added", "removed", "changed"):
        op.execute(f"DROP FUNCTION IF EXISTS genfactory_search_words_{name}()")
    op.execute("DROP TABLE IF EXISTS search_words")
