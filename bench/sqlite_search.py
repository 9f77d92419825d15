"""SQLite FTS5 behind the ``SearchBackend`` port: the engine the search benchmark weighs tantivy against.

Only the standard library (``sqlite3``; SQLite >= 3.35 for ``MATERIALIZED``, FTS5 compiled in), so it
is the cheapest engine the project could embed. It passes the shared search contract, so the
benchmark compares two correct engines, not a fast one with a sloppy one.

| port      | SQLite                                                                                    |
|-----------|-------------------------------------------------------------------------------------------|
| index     | one transaction per 10,000 documents, versions compared first (an older one is skipped): |
|           | ``docs`` (filters, sorts, facets; narrow, so scans are cheap), ``labels`` (names),        |
|           | ``doc_categories`` (the path, for the filter), FTS5 ``title`` (name) and ``body``         |
|           | (description, category names), both porter + unicode61 without diacritics, ``names``     |
|           | (the name unstemmed, prefix-indexed, for autocomplete), and the words never seen before  |
|           | into ``terms``/``term_keys`` (typos); after a large write the FTS5 b-trees are merged    |
| search    | one statement: the FTS5 scans summed per product, joined to ``docs`` with the filters,   |
|           | materialised once, then the page (keyset cursor), the total and the facets from it; the  |
|           | category facet is counted here from ``group_concat`` (GROUP BY would sort every match)   |
| typos     | a query word of 4-7 letters may be 1 edit off, 8+ letters 2 (the tantivy adapter's rule):|
|           | its neighbours come from a deletion index of the vocabulary (SymSpell: each word and its |
|           | one-letter deletions, two-letter ones from 8 letters), checked by edit distance          |
| suggest   | names with every typed word (stemmed) and a word starting with the last one (``names``),  |
|           | most rated first; when that leaves room, the last word may be one typo off               |

Ranking mirrors the tantivy adapter so that recall can be compared: BM25 per field (the name x2 and
the body; FTS5 normalises by the whole row's length, so in one table a long description would drown
a name match), a name phrase bonus (BM25 of the words as a phrase in the name), 4.0 when the name is
exactly the query, the affinity lifts of ``Affinity``, and for a word with near spellings a constant
for "this word or a near spelling is here" (1.0 in the name, 0.5 elsewhere). A near spelling earns
only the constant: BM25 would give a rare neighbour ("cast" for "case") more weight than the word.

Typos, measured on the benchmark's vocabulary (41,000 words from 100,000 products): comparing a word
with every vocabulary word of a similar length takes 88 ms; a bigram index with a count filter
1.8 ms; the deletion index 0.2 ms (230,000 keys, 0.4 s to build), exact by construction (a word
within k edits of another shares a k-deletion with it).

User text never reaches ``MATCH`` as syntax: it is cut into words here (as unicode61 cuts them) and
each word is quoted, so quotes, operators and emoji are just text.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import sqlite3
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from commerce.errors import FieldError, InvalidInput
from commerce.search.model import (
    MAX_PAGE_SIZE,
    MAX_QUERY_LENGTH,
    PRICE_BANDS,
    RATING_THRESHOLDS,
    Affinity,
    FacetCount,
    Facets,
    SearchDocument,
    SearchHit,
    SearchQuery,
    SearchResults,
    SearchSort,
    Suggestion,
)
from commerce.search.ports import SearchBackend

__all__ = ["SqliteFtsSearch", "edit_distance", "words"]

_TEXT_TOKENIZER = "porter unicode61 remove_diacritics 2"
_PLAIN_TOKENIZER = "unicode61 remove_diacritics 2"

_NAME_WEIGHT = 2.0
_FOUND_IN_NAME = 1.0
_FOUND_ELSEWHERE = 0.5
_EXACT_NAME = 4.0
_MAX_WORDS = 24  # a 200-character query of one-letter words must not build a huge statement
_MAX_NEIGHBOURS = 50  # near spellings kept per word, closest first (Lucene's max_expansions)
_LONGEST_WORD = 40  # longer "words" are noise: matched exactly, never fuzzily
_MAX_AFFINITIES = 32
_CATEGORY_FACETS = 20
_UNRATED = -1.0  # sorts after every real average and falls in no rating band
_WRITE_CHUNK = 10_000
_LOOKUP_CHUNK = 500
#: Merge the FTS5 segments into one when this share of the index was written since the last merge:
#: a bulk load pays one merge, a stream of small writes leaves it to FTS5's automerge.
_OPTIMIZE_SHARE = 0.5
_OPTIMIZE_MIN_WRITES = 1000
_SUGGEST_MIN_TYPO_LENGTH = 4  # one typo in two or three letters matches nearly everything
_SUGGEST_MAX_TERMS = 64

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CURSOR_TAG_BYTES = 12

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    doc INTEGER PRIMARY KEY,
    product_id TEXT NOT NULL UNIQUE,
    seller_id TEXT NOT NULL,
    category INTEGER NOT NULL,
    price INTEGER NOT NULL,
    currency TEXT NOT NULL,
    in_stock INTEGER NOT NULL,
    rating REAL,
    rating_count INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS docs_by_seller ON docs (seller_id);
CREATE TABLE IF NOT EXISTS labels (
    doc INTEGER PRIMARY KEY, name TEXT NOT NULL, name_key TEXT NOT NULL, name_hash INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS labels_by_hash ON labels (name_hash);
CREATE TABLE IF NOT EXISTS categories (category INTEGER PRIMARY KEY, category_id TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS doc_categories (
    category_id TEXT NOT NULL,
    doc INTEGER NOT NULL,
    PRIMARY KEY (category_id, doc)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS doc_categories_by_doc ON doc_categories (doc);
CREATE VIRTUAL TABLE IF NOT EXISTS title USING fts5 (name, tokenize = '{_TEXT_TOKENIZER}');
CREATE VIRTUAL TABLE IF NOT EXISTS body USING fts5 (description, categories, tokenize = '{_TEXT_TOKENIZER}');
CREATE VIRTUAL TABLE IF NOT EXISTS names USING fts5 (
    name, tokenize = '{_PLAIN_TOKENIZER}', prefix = '2 3', content = ''
);
CREATE TABLE IF NOT EXISTS terms (
    term_id INTEGER PRIMARY KEY,
    term TEXT NOT NULL UNIQUE,
    in_name INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS term_keys (
    key TEXT NOT NULL,
    term_id INTEGER NOT NULL,
    PRIMARY KEY (key, term_id)
) WITHOUT ROWID;
"""
_TABLES = (
    "meta",
    "docs",
    "labels",
    "categories",
    "doc_categories",
    "title",
    "body",
    "names",
    "terms",
    "term_keys",
)

#: Each sort's key over the matches and whether it runs high to low; ties always go by product id.
_SORTS: dict[SearchSort, tuple[str, bool]] = {
    SearchSort.RELEVANCE: ("score", True),
    SearchSort.PRICE_ASC: ("price", False),
    SearchSort.PRICE_DESC: ("price", True),
    SearchSort.RATING: (f"coalesce(rating, {_UNRATED})", True),
    SearchSort.NEWEST: ("created_at", True),
}

# ------------------------------------------------------------------------------------- words
_ASCII_SEPARATORS = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum()})
_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    """The words FTS5's unicode61 tokenizer (diacritics removed) finds in ``text``, lower case.

    The same cut on both sides: the vocabulary of typos is built from it, and a query is only
    ever these words, each quoted, so no user text is read as FTS5 syntax.
    """
    lowered = text.lower()
    if lowered.isascii():
        return lowered.translate(_ASCII_SEPARATORS).split()
    bare = "".join(c for c in unicodedata.normalize("NFD", lowered) if not unicodedata.combining(c))
    return _WORD.findall(bare)


def _quoted(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _edits(word: str) -> int:
    """Typos allowed in a query word (the tantivy adapter's rule, so both find the same)."""
    if len(word) < 4 or len(word) > _LONGEST_WORD:
        return 0
    return 1 if len(word) < 8 else 2


def _deletions(word: str, depth: int) -> set[str]:
    """``word`` and every string made by deleting up to ``depth`` of its letters."""
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


def _stored_keys(term: str) -> set[str]:
    """What the deletion index holds for a vocabulary word.

    A query word of 4-7 letters (1 edit) meets any word within one edit through their one-letter
    deletions; one of 8+ letters (2 edits) through two-letter deletions on its side, and on the
    stored side one-letter ones suffice for words of 6-7 letters (they are shorter, so at least
    one edit is a letter the query has more) and two-letter ones are needed from 8 letters on.
    """
    if len(term) < 3 or len(term) > _LONGEST_WORD + 2:
        return set()
    return _deletions(term, 2 if len(term) >= 8 else 1)


def edit_distance(a: str, b: str, bound: int) -> int:
    """Optimal string alignment distance (a swap of neighbours is one edit), or ``bound + 1`` when
    it is more than ``bound``. The usual dynamic programme, with shortcuts for the common cases."""
    if a == b:
        return 0
    if abs(len(a) - len(b)) > bound:
        return bound + 1
    if bound == 1:
        return 1 if _one_apart(a, b) else 2
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        lowest = i
        ai = a[i - 1]
        for j in range(1, len(b) + 1):
            value = previous[j - 1] + (ai != b[j - 1])
            if previous[j] + 1 < value:
                value = previous[j] + 1
            if current[j - 1] + 1 < value:
                value = current[j - 1] + 1
            if i > 1 and j > 1 and ai == b[j - 2] and a[i - 2] == b[j - 1] and before[j - 2] + 1 < value:
                value = before[j - 2] + 1
            current[j] = value
            if value < lowest:
                lowest = value
        if lowest > bound:
            return bound + 1
        before, previous = previous, current
    return min(previous[-1], bound + 1)


def _one_apart(a: str, b: str) -> bool:
    """Whether two different strings are one change, insertion, deletion or swap apart."""
    if len(a) < len(b):
        a, b = b, a
    i = 0
    while i < len(b) and a[i] == b[i]:
        i += 1
    if len(a) > len(b):
        return a[i + 1 :] == b[i:]
    if a[i + 1 :] == b[i + 1 :]:
        return True
    return i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]


def _hash(key: str) -> int:
    """A name's words as a signed 64-bit integer: an index of these is far cheaper than one of names."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


def _micros(moment: datetime) -> int:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return (aware - _EPOCH) // timedelta(microseconds=1)


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _invalid_cursor() -> InvalidInput:
    return InvalidInput(
        "The cursor is not one this API returned for this search.",
        code="invalid_cursor",
        errors=[FieldError("query.cursor", "Not a cursor this API returned.", "invalid_cursor")],
    )


@dataclass(frozen=True, slots=True)
class _Text:
    """A query's text as ``MATCH`` expressions (every word quoted)."""

    #: The exact words, and the words as a phrase: what the name's BM25 is computed on.
    title: str
    #: The exact words alone (the body's BM25), and every near spelling of any of them ("" when none).
    exact: str
    near: str
    #: Per word that has near spellings: the word or one of them.
    spellings: tuple[str, ...]
    name_key: str


# ------------------------------------------------------------------------------------- the adapter
class SqliteFtsSearch(SearchBackend):
    """Products in one SQLite database, in memory by default (``path=":memory:"``) or in a file.

    One connection behind a lock (``check_same_thread=False``): SQLite serialises writers anyway,
    and an in-memory database cannot be shared between connections.
    """

    def __init__(self, path: str = ":memory:") -> None:
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA temp_store = MEMORY")
        self._db.execute("PRAGMA cache_size = -65536")
        if path != ":memory:":
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
        self._open()

    def _open(self) -> None:
        self._db.executescript(_SCHEMA)
        key = self._db.execute("SELECT value FROM meta WHERE key = 'cursor_key'").fetchone()
        if key is None:
            key = (secrets.token_bytes(32),)
            self._db.execute("INSERT INTO meta (key, value) VALUES ('cursor_key', ?)", key)
        self._cursor_key: bytes = key[0]
        self._terms: dict[str, bool] = {
            term: bool(in_name) for term, in_name in self._db.execute("SELECT term, in_name FROM terms")
        }
        self._next_term = 1 + (self._db.execute("SELECT max(term_id) FROM terms").fetchone()[0] or 0)
        self._categories: dict[str, int] = dict(
            self._db.execute("SELECT category_id, category FROM categories")
        )
        self._category_ids = {number: category_id for category_id, number in self._categories.items()}
        self._alphabet = {c for term, in_name in self._terms.items() if in_name for c in term}
        self._written_since_optimize = 0

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # ------------------------------------------------------------------------------------ writes
    def index(self, documents: Iterable[SearchDocument]) -> list[str]:
        latest: dict[str, SearchDocument] = {}
        for document in documents:
            seen = latest.get(document.product_id)
            if seen is None or document.version >= seen.version:
                latest[document.product_id] = document
        failed: list[str] = []
        with self._lock:
            for chunk in _chunks(list(latest.values()), _WRITE_CHUNK):
                terms_before = dict(self._terms)
                next_term = self._next_term
                try:
                    with self._transaction():
                        self._written_since_optimize += self._write(chunk)
                except (sqlite3.Error, ValueError, TypeError, OverflowError):
                    self._terms, self._next_term = terms_before, next_term
                    failed += [document.product_id for document in chunk]
            self._maybe_optimize()
        return failed

    def _write(self, chunk: Sequence[SearchDocument]) -> int:
        """Writes the documents newer than (or as new as) what is indexed; returns how many."""
        known: dict[str, tuple[int, int, str]] = {}
        for ids in _chunks([d.product_id for d in chunk], _LOOKUP_CHUNK):
            marks = ",".join("?" * len(ids))
            for product_id, doc, version, name in self._db.execute(
                "SELECT d.product_id, d.doc, d.version, l.name FROM docs d JOIN labels l ON l.doc = d.doc"
                f" WHERE d.product_id IN ({marks})",
                ids,
            ):
                known[product_id] = (doc, version, name)
        fresh = [d for d in chunk if d.product_id not in known or known[d.product_id][1] <= d.version]
        if not fresh:
            return 0
        replaced = [known[d.product_id] for d in fresh if d.product_id in known]
        self._unindex([(doc, name) for doc, _, name in replaced], keep_docs=True)
        next_doc = 1 + (self._db.execute("SELECT max(doc) FROM docs").fetchone()[0] or 0)
        rows, labels, titles, bodies, names, paths = [], [], [], [], [], []
        new_terms: dict[str, bool] = {}
        new_categories = []
        for document in fresh:
            if document.product_id in known:
                doc = known[document.product_id][0]
            else:
                doc, next_doc = next_doc, next_doc + 1
            name_words = words(document.name)
            categories = " ".join(document.category_names)
            category = self._categories.get(document.category_id)
            if category is None:
                category = self._categories[document.category_id] = 1 + len(self._categories)
                self._category_ids[category] = document.category_id
                new_categories.append((category, document.category_id))
            rows.append(
                (
                    doc,
                    document.product_id,
                    document.seller_id,
                    category,
                    int(document.price_amount),
                    document.currency,
                    int(bool(document.in_stock)),
                    None if document.rating_average is None else float(document.rating_average),
                    int(document.rating_count),
                    _micros(document.created_at),
                    int(document.version),
                )
            )
            name_key = " ".join(name_words)
            labels.append((doc, document.name, name_key, _hash(name_key)))
            titles.append((doc, document.name))
            bodies.append((doc, document.description, categories))
            names.append((doc, document.name))
            paths += [(category_id, doc) for category_id in dict.fromkeys(document.category_path)]
            for word in name_words:
                if not self._terms.get(word, False):
                    new_terms[word] = True
            for word in words(f"{document.description} {categories}"):
                if word not in self._terms and word not in new_terms:
                    new_terms[word] = False
        self._db.executemany(
            "INSERT OR REPLACE INTO docs (doc, product_id, seller_id, category, price, currency, in_stock,"
            " rating, rating_count, created_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        self._db.executemany(
            "INSERT OR REPLACE INTO labels (doc, name, name_key, name_hash) VALUES (?, ?, ?, ?)", labels
        )
        self._db.executemany("INSERT INTO categories (category, category_id) VALUES (?, ?)", new_categories)
        self._db.executemany("INSERT INTO title (rowid, name) VALUES (?, ?)", titles)
        self._db.executemany("INSERT INTO body (rowid, description, categories) VALUES (?, ?, ?)", bodies)
        self._db.executemany("INSERT INTO names (rowid, name) VALUES (?, ?)", names)
        self._db.executemany("INSERT OR IGNORE INTO doc_categories (category_id, doc) VALUES (?, ?)", paths)
        self._learn(new_terms)
        return len(fresh)

    def _learn(self, new_terms: dict[str, bool]) -> None:
        """Adds words to the vocabulary (and marks known ones newly seen in a name)."""
        added, named, keys = [], [], []
        for term, in_name in new_terms.items():
            if term in self._terms:
                named.append((term,))
            else:
                term_id, self._next_term = self._next_term, self._next_term + 1
                added.append((term_id, term, int(in_name)))
                keys += [(key, term_id) for key in _stored_keys(term)]
            self._terms[term] = in_name or self._terms.get(term, False)
            if in_name:
                self._alphabet.update(term)
        self._db.executemany("INSERT INTO terms (term_id, term, in_name) VALUES (?, ?, ?)", added)
        self._db.executemany("UPDATE terms SET in_name = 1 WHERE term = ?", named)
        self._db.executemany("INSERT OR IGNORE INTO term_keys (key, term_id) VALUES (?, ?)", keys)

    def _unindex(self, docs: Sequence[tuple[int, str]], keep_docs: bool) -> None:
        """Takes documents out of the text indexes (and out of ``docs`` unless they are rewritten).

        The vocabulary keeps their words: a word nobody has any more only costs a lookup.
        """
        if not docs:
            return
        ids = [(doc,) for doc, _ in docs]
        self._db.executemany("DELETE FROM title WHERE rowid = ?", ids)
        self._db.executemany("DELETE FROM body WHERE rowid = ?", ids)
        # A contentless table forgets a row only when told exactly what it held.
        self._db.executemany("INSERT INTO names (names, rowid, name) VALUES ('delete', ?, ?)", docs)
        self._db.executemany("DELETE FROM doc_categories WHERE doc = ?", ids)
        if not keep_docs:
            self._db.executemany("DELETE FROM docs WHERE doc = ?", ids)
            self._db.executemany("DELETE FROM labels WHERE doc = ?", ids)

    def _maybe_optimize(self) -> None:
        """One merged FTS5 b-tree answers faster than many segments; merging costs a rewrite."""
        written = self._written_since_optimize
        if written < _OPTIMIZE_MIN_WRITES:
            return
        size = self._db.execute("SELECT count(*) FROM docs").fetchone()[0]
        if written >= _OPTIMIZE_SHARE * size:
            self._db.execute("INSERT INTO title (title) VALUES ('optimize')")
            self._db.execute("INSERT INTO body (body) VALUES ('optimize')")
            self._db.execute("INSERT INTO names (names) VALUES ('optimize')")
            self._written_since_optimize = 0

    def remove(self, product_ids: Iterable[str]) -> list[str]:
        ids = list(dict.fromkeys(product_ids))
        failed: list[str] = []
        with self._lock:
            for chunk in _chunks(ids, _LOOKUP_CHUNK):
                marks = ",".join("?" * len(chunk))
                try:
                    with self._transaction():
                        found = self._db.execute(
                            "SELECT d.doc, l.name FROM docs d JOIN labels l ON l.doc = d.doc"
                            f" WHERE d.product_id IN ({marks})",
                            chunk,
                        ).fetchall()
                        self._unindex(found, keep_docs=False)
                except sqlite3.Error:
                    failed += chunk
        return failed

    def recreate(self) -> None:
        with self._lock:
            for table in _TABLES:
                self._db.execute(f"DROP TABLE IF EXISTS {table}")
            self._open()

    # ------------------------------------------------------------------------------------ search
    def search(self, query: SearchQuery) -> SearchResults:
        limit = max(1, min(query.limit, MAX_PAGE_SIZE))
        fingerprint = _fingerprint(query)
        after = None if query.cursor is None else self._after(query.cursor, query.sort, fingerprint)
        with self._lock:
            text = self._text(query.text)
            if text is not None and not text.exact:
                return SearchResults(hits=(), total=0, next_cursor=None, facets=_facets([], None))
            statement, params = _statement(query, text, after, limit + 1)
            rows = self._db.execute(statement, params).fetchall()
        descending = _SORTS[query.sort][1]
        page = sorted(
            ((row[2], row[1], row[3]) for row in rows if row[0] == 0),
            key=lambda r: (-r[0] if descending else r[0], r[1]),
        )
        counts, categories = next(((json.loads(row[1]), row[2]) for row in rows if row[0] == 1), (None, None))
        shown = page[:limit]
        scored = query.sort is SearchSort.RELEVANCE and (text is not None or bool(_boosts(query)))
        next_cursor = None
        if len(page) > limit:
            key, product_id, _ = shown[-1]
            next_cursor = self._cursor([key, product_id], fingerprint)
        return SearchResults(
            hits=tuple(SearchHit(pid, float(score) if scored else None) for _, pid, score in shown),
            total=int(counts[0]) if counts else 0,
            next_cursor=next_cursor,
            facets=_facets(self._category_counts(categories), counts),
        )

    def _category_counts(self, numbers: str | None) -> list[tuple[str, int]]:
        """The most frequent categories among the matches' (``group_concat``), ties by id."""
        counted = Counter(numbers.split(",")) if numbers else Counter()
        named = [(self._category_ids[int(number)], n) for number, n in counted.items()]
        return sorted(named, key=lambda pair: (-pair[1], pair[0]))[:_CATEGORY_FACETS]

    def _text(self, raw: str) -> _Text | None:
        """None for no text (browse everything); a ``_Text`` without words when nothing in it is a word."""
        text = raw[:MAX_QUERY_LENGTH]
        if not text.strip():
            return None
        every = words(text)
        unique = list(dict.fromkeys(every))[:_MAX_WORDS]
        if not unique:
            return _Text("", "", "", (), "")  # nothing in it is a word: nothing matches
        exact = " OR ".join(map(_quoted, unique))
        title = exact
        if len(unique) > 1:
            title += " OR " + _quoted(" ".join(every[:_MAX_WORDS]))
        spellings = [[word, *self._neighbours(word, _edits(word))] for word in unique]
        # Only a word with near spellings needs its "found" constants: for the others BM25 already
        # rewards each word found and the name over the rest, and the constants cost a scan each.
        fuzzy = tuple(" OR ".join(map(_quoted, options)) for options in spellings if len(options) > 1)
        near = " OR ".join(_quoted(w) for options in spellings for w in options[1:])
        return _Text(title, exact, near, fuzzy, " ".join(every))

    def _neighbours(self, word: str, edits: int) -> list[str]:
        """Vocabulary words within ``edits`` of ``word`` (not itself), closest first."""
        if not edits:
            return []
        keys = list(_deletions(word, edits))
        found: set[str] = set()
        for chunk in _chunks(keys, _LOOKUP_CHUNK):
            marks = ",".join("?" * len(chunk))
            found.update(
                term
                for (term,) in self._db.execute(
                    f"SELECT DISTINCT t.term FROM term_keys k JOIN terms t ON t.term_id = k.term_id"
                    f" WHERE k.key IN ({marks})",
                    chunk,
                )
            )
        found.discard(word)
        near = [(distance, term) for term in found if (distance := edit_distance(word, term, edits)) <= edits]
        return [term for _, term in sorted(near)[:_MAX_NEIGHBOURS]]

    # ------------------------------------------------------------------------------------ cursors
    def _cursor(self, after: list[Any], fingerprint: bytes) -> str:
        position = json.dumps(after, separators=(",", ":"))
        tag = hmac.new(self._cursor_key, fingerprint + position.encode(), hashlib.sha256).digest()
        body = json.dumps({"a": after, "t": tag[:_CURSOR_TAG_BYTES].hex()}, separators=(",", ":"))
        return base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")

    def _after(self, cursor: str, sort: SearchSort, fingerprint: bytes) -> list[Any]:
        """The position a cursor this backend made for this very query holds; anything else is invalid."""
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            state = json.loads(raw)
        except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
            raise _invalid_cursor() from None
        # Decoding skips stray characters: only the exact spelling this backend wrote is accepted.
        if base64.urlsafe_b64encode(raw).decode().rstrip("=") != cursor:
            raise _invalid_cursor()
        if not isinstance(state, dict) or set(state) != {"a", "t"}:
            raise _invalid_cursor()
        after, tag = state["a"], state["t"]
        if not isinstance(after, list) or len(after) != 2 or not isinstance(tag, str):
            raise _invalid_cursor()
        position = json.dumps(after, separators=(",", ":"))
        expected = hmac.new(self._cursor_key, fingerprint + position.encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected[:_CURSOR_TAG_BYTES].hex(), tag):
            raise _invalid_cursor()
        key, product_id = after
        numeric = isinstance(key, int | float) and not isinstance(key, bool)
        whole = sort in {SearchSort.PRICE_ASC, SearchSort.PRICE_DESC, SearchSort.NEWEST}
        if not isinstance(product_id, str) or not numeric or (whole and not isinstance(key, int)):
            raise _invalid_cursor()
        return after

    # ------------------------------------------------------------------------------------ suggest
    def suggest(self, prefix: str, limit: int = 10) -> list[Suggestion]:
        limit = min(limit, MAX_PAGE_SIZE)
        typed = [word for word in words(prefix[:MAX_QUERY_LENGTH]) if len(word) <= _LONGEST_WORD]
        if limit < 1 or not typed:
            return []
        *complete, last = list(dict.fromkeys(typed))[:_MAX_WORDS]
        found: dict[str, Suggestion] = {}
        with self._lock:
            # Exact prefixes first; near spellings only fill what is left.
            self._collect(_quoted(last) + "*", complete, [], limit, found)
            if len(found) < limit and len(last) >= _SUGGEST_MIN_TYPO_LENGTH:
                near_last = self._near_prefix(last)
                if near_last:
                    near_complete = [self._neighbours(word, 1 if len(word) >= 4 else 0) for word in complete]
                    expression = " OR ".join([_quoted(last) + "*", *map(_quoted, near_last)])
                    self._collect(expression, complete, near_complete, limit, found)
        return list(found.values())[:limit]

    def _collect(
        self,
        last: str,
        complete: list[str],
        near_complete: list[list[str]],
        limit: int,
        found: dict[str, Suggestion],
    ) -> None:
        """Names matching every complete word (a stem or near spelling of it) and the last word's
        prefix, most rated first, one per name."""
        statement = "SELECT rowid FROM names WHERE names MATCH ?"
        params: list[Any] = [f"name : ({last})"]
        if complete:
            groups = []
            for i, word in enumerate(complete):
                options = [word, *(near_complete[i] if near_complete else [])]
                groups.append("(" + " OR ".join(map(_quoted, options)) + ")")
            statement += " INTERSECT SELECT rowid FROM title WHERE title MATCH ?"
            params.append(" AND ".join(groups))
        rows = self._db.execute(
            "SELECT l.name_key, l.name, d.product_id, d.rating_count"
            f" FROM docs d JOIN labels l ON l.doc = d.doc WHERE d.doc IN ({statement})"
            " AND l.name_key NOT IN (SELECT value FROM json_each(?))"
            " ORDER BY d.rating_count DESC, l.name_key, l.name, d.product_id",
            [*params, json.dumps(list(found))],
        )
        for name_key, name, product_id, _ in rows:
            if name_key not in found:
                found[name_key] = Suggestion(text=name, product_id=product_id)
                if len(found) >= limit:
                    return

    def _near_prefix(self, prefix: str) -> list[str]:
        """Name words that start with something one typo away from ``prefix`` (not with it)."""
        alphabet = sorted(self._alphabet)
        starts: set[str] = set()
        for i in range(len(prefix)):
            head, tail = prefix[:i], prefix[i + 1 :]
            starts.add(head + tail)  # one letter too many
            if i + 1 < len(prefix):
                starts.add(head + prefix[i + 1] + prefix[i] + prefix[i + 2 :])  # two swapped
            starts.update(head + c + tail for c in alphabet)  # one wrong
            starts.update(head + c + prefix[i:] for c in alphabet)  # one missing
        starts.discard(prefix)
        starts = {s for s in starts if s and not s.startswith(prefix)}
        near: set[str] = set()
        for chunk in _chunks(sorted(starts), _LOOKUP_CHUNK):
            values = ",".join("(?, ?)" for _ in chunk)
            params = [bound for start in chunk for bound in (start, start + "\U0010ffff")]
            near.update(
                term
                for (term,) in self._db.execute(
                    f"WITH v (lo, hi) AS (VALUES {values})"
                    " SELECT DISTINCT t.term FROM v JOIN terms t ON t.term >= v.lo AND t.term < v.hi"
                    " WHERE t.in_name",
                    params,
                )
            )
        ranked = sorted(near, key=lambda term: (len(term), term))
        return ranked[:_SUGGEST_MAX_TERMS]


# ------------------------------------------------------------------------------------- statements
def _boosts(query: SearchQuery) -> list[tuple[str, str, float]]:
    """Affinity lifts that count (positive), strongest first; only relevance ordering uses them."""
    if query.sort is not SearchSort.RELEVANCE or not query.affinity:
        return []
    weighted = [
        ("category", key, Affinity.CATEGORY_BOOST * w) for key, w in query.affinity.categories.items()
    ]
    weighted += [("seller", key, Affinity.SELLER_BOOST * w) for key, w in query.affinity.sellers.items()]
    return sorted((item for item in weighted if item[2] > 0), key=lambda item: -item[2])[:_MAX_AFFINITIES]


def _statement(
    query: SearchQuery, text: _Text | None, after: list[Any] | None, rows: int
) -> tuple[str, dict[str, Any]]:
    """One statement for the page, the total and the facets: the matches are found once (``m``)."""
    params: dict[str, Any] = {"rows": rows}
    relevance = query.sort is SearchSort.RELEVANCE
    score = "0.0"
    if text is None:
        source = "docs d"
    elif not relevance:
        # No ranking: which products match is all that is needed, and FTS5 finds that without BM25.
        params["match"] = text.exact + (" OR " + text.near if text.near else "")
        found = (
            "SELECT rowid FROM title WHERE title MATCH :match"
            " UNION SELECT rowid FROM body WHERE body MATCH :match"
        )
        source = f"({found}) h JOIN docs d ON d.doc = h.rowid"
    else:
        # BM25 per field, as Lucene does: in one table a long description would drown a name match.
        scans = [
            "SELECT rowid AS doc, -bm25(title) * :name_weight AS s FROM title WHERE title MATCH :title",
            "SELECT rowid, -bm25(body) FROM body WHERE body MATCH :exact",
        ]
        params |= {"name_weight": _NAME_WEIGHT, "title": text.title, "exact": text.exact}
        if text.near:
            # Found only by a near spelling: no BM25 (a rare neighbour would outweigh the word itself),
            # only the constants below.
            scans += [
                "SELECT rowid, 0.0 FROM title WHERE title MATCH :near",
                "SELECT rowid, 0.0 FROM body WHERE body MATCH :near",
            ]
            params["near"] = text.near
        summed = f"SELECT doc, sum(s) AS s FROM ({' UNION ALL '.join(scans)}) GROUP BY doc"
        source = f"({summed}) h JOIN docs d ON d.doc = h.doc"
        score = (
            "h.s + CASE WHEN d.doc IN"
            " (SELECT doc FROM labels WHERE name_hash = :name_hash AND name_key = :name_key)"
            " THEN :exact_name ELSE 0.0 END"
        )
        params |= {"name_key": text.name_key, "name_hash": _hash(text.name_key), "exact_name": _EXACT_NAME}
        params |= {"in_name": _FOUND_IN_NAME, "elsewhere": _FOUND_ELSEWHERE}
        # "This word or a near spelling of it is here": 1.0 in the name, 0.5 elsewhere.
        for i, spelling in enumerate(text.spellings):
            score += (
                f" + CASE WHEN d.doc IN (SELECT rowid FROM title WHERE title MATCH :spelling{i})"
                " THEN :in_name"
                f" WHEN d.doc IN (SELECT rowid FROM body WHERE body MATCH :spelling{i})"
                " THEN :elsewhere ELSE 0 END"
            )
            params[f"spelling{i}"] = spelling
    for i, (kind, key, boost) in enumerate(_boosts(query)):
        if kind == "category":
            score += (
                f" + CASE WHEN d.doc IN (SELECT doc FROM doc_categories WHERE category_id = :favour{i})"
                f" THEN :boost{i} ELSE 0.0 END"
            )
        else:
            score += f" + CASE WHEN d.seller_id = :favour{i} THEN :boost{i} ELSE 0.0 END"
        params |= {f"favour{i}": key, f"boost{i}": boost}
    filters = _filters(query, params)
    matches = (
        f"SELECT d.product_id, d.category, d.price, d.rating, d.created_at, {score} AS score"
        f" FROM {source} WHERE {filters}"
    )
    key, descending = _SORTS[query.sort]
    page = f"SELECT 0, product_id, {key} AS k, score FROM m"
    if after is not None:
        beyond = "<" if descending else ">"
        page += f" WHERE {key} {beyond} :after_key OR ({key} = :after_key AND product_id > :after_id)"
        params |= {"after_key": after[0], "after_id": after[1]}
    page += f" ORDER BY {key} {'DESC' if descending else 'ASC'}, product_id LIMIT :rows"
    bands = ", ".join(
        f"sum(price >= {band.min_amount}"
        + ("" if band.max_amount is None else f" AND price < {band.max_amount}")
        + ")"
        for band in PRICE_BANDS
    )
    ratings = ", ".join(f"sum(rating >= {threshold})" for threshold in RATING_THRESHOLDS)
    # Text matches are found once and read twice; browsing reads ``docs`` twice instead, which is
    # cheaper than writing every product into a temporary table.
    statement = (
        f"WITH m AS {'NOT ' if text is None else ''}MATERIALIZED ({matches})"
        f" SELECT * FROM ({page})"
        # The categories are counted by the caller: SQLite's GROUP BY would sort every match.
        f" UNION ALL SELECT 1, json_array(count(*), {bands}, {ratings}), group_concat(category), NULL FROM m"
    )
    return statement, params


def _filters(query: SearchQuery, params: dict[str, Any]) -> str:
    """The query's filters as SQL over ``docs d``; their values go into ``params``."""
    clauses = ["1"]
    if query.category_id is not None:
        clauses.append("d.doc IN (SELECT doc FROM doc_categories WHERE category_id = :category)")
        params["category"] = query.category_id
    if query.min_price is not None:
        clauses.append("d.price >= :min_price")
        params["min_price"] = query.min_price
    if query.max_price is not None:
        clauses.append("d.price <= :max_price")
        params["max_price"] = query.max_price
    if query.currency is not None:
        clauses.append("d.currency = :currency")
        params["currency"] = query.currency
    if query.in_stock is not None:
        clauses.append("d.in_stock = :in_stock")
        params["in_stock"] = int(query.in_stock)
    if query.seller_id is not None:
        clauses.append("d.seller_id = :seller")
        params["seller"] = query.seller_id
    return " AND ".join(clauses)


def _facets(categories: list[tuple[str, int]], counts: list[Any] | None) -> Facets:
    """Every price band and rating threshold, zeros included (``counts``: total, bands, ratings)."""
    numbers = (
        [int(n or 0) for n in counts] if counts else [0] * (1 + len(PRICE_BANDS) + len(RATING_THRESHOLDS))
    )
    bands = numbers[1 : 1 + len(PRICE_BANDS)]
    ratings = numbers[1 + len(PRICE_BANDS) :]
    return Facets(
        categories=tuple(FacetCount(key, count) for key, count in categories),
        price_bands=tuple(FacetCount(band.key, n) for band, n in zip(PRICE_BANDS, bands, strict=True)),
        ratings=tuple(FacetCount(str(t), n) for t, n in zip(RATING_THRESHOLDS, ratings, strict=True)),
    )


def _fingerprint(query: SearchQuery) -> bytes:
    """What a cursor is bound to: the question and its order (not the page size, nor the affinity,
    which may change between pages without making the next page wrong)."""
    question = [
        query.text.strip()[:MAX_QUERY_LENGTH],
        query.category_id,
        query.min_price,
        query.max_price,
        query.currency,
        query.in_stock,
        query.seller_id,
        str(query.sort),
    ]
    return json.dumps(question, separators=(",", ":"), ensure_ascii=False).encode()
