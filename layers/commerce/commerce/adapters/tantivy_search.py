"""The embedded search engine: product search in-process on tantivy, for local runs and tests.

The cloud runs OpenSearch; this adapter gives the same answers without a cluster, so the
search contract can run offline. Queries are built from analysed tokens, never from the
user's text through a query parser, so no input can be a syntax error.

Ranking, per query word: BM25 over name (x2), description and category names (best field
plus a share of the others), plus a constant for "this word, or a near spelling, is in this
field" (which makes documents matching more words rank higher and lets typos match); plus a
phrase bonus on the name and a larger one when the name is exactly the query.

Every order is total: ties (same score, same price...) go by product id, so pages never
repeat or skip a hit. Pages are offsets into that order; the cursor carries the offset and
a keyed fingerprint of the query, so it cannot be forged or replayed against another query.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import itertools
import json
import os
import struct
import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import tantivy
from tantivy import Occur, Order, Query

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

__all__ = ["TantivySearch"]

_STEMMED = "commerce_en"  # lowercase, ASCII folding, English stemming: "Headphones" -> "headphon"
_PLAIN = "commerce_plain"  # the same without stemming: what typos are measured against
_LONGEST_TOKEN = 40  # bytes; longer "words" are noise (and slow to match fuzzily)

_NAME_WEIGHT = 2.0
_FIELD_TIE_BREAKER = 0.3  # a word found in several fields counts a little more than in one
_WORD_FOUND = 0.5  # per query word found (x name weight when in the name)
_NAME_PHRASE = 1.0
_EXACT_NAME = 4.0
_MAX_WORDS = 24  # a 200-character query of one-letter words must not build a huge query
_MAX_AFFINITIES = 32
_CATEGORY_FACETS = 20
_CATEGORY_FACET_SCAN = 65_000  # buckets asked of tantivy, so the top 20 are exact

_I64_MIN, _I64_MAX = -(2**63), 2**63 - 1
_UNRATED = -1.0  # sorts after every real average and falls in no rating band
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_CURSOR_VERSION = 1
_CURSOR_KEY = b"commerce.search.tantivy.cursor"
_CURSOR_LAYOUT = struct.Struct(">BI")
_CURSOR_TAG_SIZE = 8
_CURSOR_LENGTH = _CURSOR_LAYOUT.size + _CURSOR_TAG_SIZE

_PID_FIELDS = ("pid_0", "pid_1", "pid_2", "pid_3")
_PID_CHARS_PER_WORD = 9

_SUGGEST_RANK_WIDTH = 12
_SUGGEST_SEPARATOR = "\x1f"
_SUGGEST_SCAN_LIMIT = 400


def _analyzer(stem: bool) -> tantivy.TextAnalyzer:
    builder = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(_LONGEST_TOKEN))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
    )
    if stem:
        builder = builder.filter(tantivy.Filter.stemmer("english"))
    return builder.build()


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("product_id", stored=True, fast=True, tokenizer_name="raw", index_option="basic")
    # The product id packed into integers (see _pid_words): ties are broken by product id, and
    # integer fast fields are read in bulk where strings would be read one document at a time.
    for word in _PID_FIELDS:
        builder.add_unsigned_field(word, fast=True)
    builder.add_text_field("name", stored=True, tokenizer_name=_STEMMED, index_option="position")
    builder.add_text_field("name_plain", tokenizer_name=_PLAIN, index_option="basic")
    builder.add_text_field("name_exact", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("description", tokenizer_name=_STEMMED, index_option="freq")
    builder.add_text_field("description_plain", tokenizer_name=_PLAIN, index_option="basic")
    builder.add_text_field("categories", tokenizer_name=_STEMMED, index_option="freq")
    builder.add_text_field("categories_plain", tokenizer_name=_PLAIN, index_option="basic")
    builder.add_text_field("category_id", fast=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("category_path", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("seller_id", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("currency", tokenizer_name="raw", index_option="basic")
    builder.add_boolean_field("in_stock", indexed=True)
    builder.add_integer_field("price", indexed=True, fast=True)
    builder.add_float_field("rating", fast=True)
    builder.add_integer_field("created", fast=True)
    builder.add_integer_field("version", fast=True)
    builder.add_text_field("suggest_key", fast=True, tokenizer_name="raw", index_option="basic")
    return builder.build()


def _pid_words(product_id: str) -> list[int]:
    """The id's first 36 characters, 7 bits each, 9 to a word: ordered as the ids are, and a ULID's
    first word already tells apart ids made 32 ms apart. Ids alike in every word are settled by
    the whole id. The first character outside ASCII 1..126 ends the packing (clamped), which
    keeps the order: ids that differ only after it tie here and are settled the same way.
    """
    width = _PID_CHARS_PER_WORD * len(_PID_FIELDS)
    head = product_id[:width]
    if head.isascii() and "\0" not in head and "\x7f" not in head:
        codes = head.encode()
    else:
        packed = bytearray()
        for char in head:
            code = ord(char)
            packed.append(min(code, 127))
            if not 0 < code < 127:
                break
        codes = bytes(packed)
    codes = codes.ljust(width, b"\0")
    words = []
    for start in range(0, width, _PID_CHARS_PER_WORD):
        word = 0
        for code in codes[start : start + _PID_CHARS_PER_WORD]:
            word = (word << 7) | code
        words.append(word)
    return words


def _micros(moment: datetime) -> int:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return (aware - _EPOCH) // timedelta(microseconds=1)


def _edits(word: str) -> int:
    """Typos allowed in a word: none in short words (too many near neighbours), more in long ones."""
    if len(word) < 4:
        return 0
    return 1 if len(word) < 8 else 2


def _unique(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return list(dict.fromkeys(pairs))[:_MAX_WORDS]


def _invalid_cursor() -> InvalidInput:
    return InvalidInput(
        "The cursor is not one this API returned for this search.",
        code="invalid_cursor",
        errors=[FieldError("query.cursor", "Not a cursor this API returned.", "invalid_cursor")],
    )


def _clean(text: str) -> str:
    return text.replace(_SUGGEST_SEPARATOR, " ")


class TantivySearch(SearchBackend):
    """Products in a tantivy index, in memory (``path=None``) or in a directory.

    One writer behind a lock commits once per ``index``/``remove`` call and reloads the reader
    before returning, so a write is visible to the next search; searches take no lock.
    """

    def __init__(self, path: str | None = None, *, writer_heap_bytes: int = 64_000_000) -> None:
        self._stemmed = _analyzer(stem=True)
        self._plain = _analyzer(stem=False)
        schema = _schema()
        if path is not None:
            Path(path).mkdir(parents=True, exist_ok=True)
        self._index = tantivy.Index(schema, path=path, reuse=True)
        self._schema = self._index.schema
        self._index.register_tokenizer(_STEMMED, _analyzer(stem=True))
        self._index.register_tokenizer(_PLAIN, _analyzer(stem=False))
        self._index.config_reader("Manual")
        self._index.reload()
        self._lock = threading.Lock()
        self._writer = self._index.writer(
            heap_size=writer_heap_bytes, num_threads=min(4, os.cpu_count() or 1)
        )
        self._versions = self._indexed_versions()

    # ------------------------------------------------------------------------------------ writes

    def index(self, documents: Iterable[SearchDocument]) -> list[str]:
        latest: dict[str, SearchDocument] = {}
        for document in documents:
            seen = latest.get(document.product_id)
            if seen is None or document.version >= seen.version:
                latest[document.product_id] = document
        failed: list[str] = []
        built: list[tuple[SearchDocument, tantivy.Document]] = []
        for product_id, document in latest.items():  # outside the lock: searches and other writers go on
            try:
                built.append((document, tantivy.Document.from_dict(self._fields(document), self._schema)))
            except (ValueError, TypeError, OverflowError):
                failed.append(product_id)
        with self._lock:
            written: dict[str, int] = {}
            for document, indexed in built:
                known = self._versions.get(document.product_id)
                if known is not None and document.version < known:
                    continue  # an older version arrived late: the newer one stays
                if known is not None:
                    self._writer.delete_documents_by_term("product_id", document.product_id)
                self._writer.add_document(indexed)
                written[document.product_id] = document.version
            if not written:
                return failed
            if not self._commit():
                return failed + list(written)
            self._versions.update(written)
        return failed

    def remove(self, product_ids: Iterable[str]) -> list[str]:
        ids = list(dict.fromkeys(product_ids))
        if not ids:
            return []
        with self._lock:
            for product_id in ids:
                self._writer.delete_documents_by_term("product_id", product_id)
            if not self._commit():
                return ids
            for product_id in ids:
                self._versions.pop(product_id, None)
        return []

    def recreate(self) -> None:
        with self._lock:
            self._writer.delete_all_documents()
            if not self._commit():
                raise RuntimeError("The search index could not be emptied.")
            self._versions.clear()

    def _commit(self) -> bool:
        """Commit and make it visible to the next search; on failure nothing of the batch stays."""
        try:
            self._writer.commit()
        except ValueError:
            self._writer.rollback()
            return False
        self._index.reload()
        return True

    def _fields(self, document: SearchDocument) -> dict[str, Any]:
        stems = self._stemmed.analyze(document.name)
        rank = max(0, 10**_SUGGEST_RANK_WIDTH - 1 - max(0, document.rating_count))
        suggest_key = _SUGGEST_SEPARATOR.join(
            (
                f"{rank:0{_SUGGEST_RANK_WIDTH}d}",
                " ".join(self._plain.analyze(document.name)),
                _clean(document.name),
                _clean(document.product_id),
            )
        )
        return {
            "product_id": document.product_id,
            **dict(zip(_PID_FIELDS, _pid_words(document.product_id), strict=True)),
            "name": document.name,
            "name_plain": document.name,
            "name_exact": " ".join(stems),
            "description": document.description,
            "description_plain": document.description,
            "categories": list(document.category_names),
            "categories_plain": list(document.category_names),
            "category_id": document.category_id,
            "category_path": list(document.category_path),
            "seller_id": document.seller_id,
            "currency": document.currency,
            "in_stock": document.in_stock,
            "price": document.price_amount,
            "rating": _UNRATED if document.rating_average is None else float(document.rating_average),
            "created": _micros(document.created_at),
            "version": document.version,
            "suggest_key": suggest_key,
        }

    def _indexed_versions(self) -> dict[str, int]:
        """What a reopened index already holds, so the version guard survives a restart."""
        searcher = self._index.searcher()
        if searcher.num_docs == 0:
            return {}
        addresses = [address for _, address in searcher.search(Query.all_query(), searcher.num_docs).hits]
        versions = searcher.fast_field_values("version", addresses)
        return {
            str(searcher.doc(address).get_first("product_id")): int(version or 0)
            for address, version in zip(addresses, versions, strict=True)
        }

    # ------------------------------------------------------------------------------------ search

    def search(self, query: SearchQuery) -> SearchResults:
        limit = max(1, min(query.limit, MAX_PAGE_SIZE))
        offset = self._offset(query)
        searcher = self._index.searcher()
        text = self._text_query(query.text)
        matching = self._with_filters(Query.all_query() if text is None else text, query)

        order_field: str | None = None
        order = Order.Desc
        ranked = matching
        if query.sort is SearchSort.RELEVANCE:
            if query.affinity:
                base = Query.const_score_query(Query.all_query(), 0.0) if text is None else text
                ranked = self._with_filters(base, query, self._affinity(query.affinity))
            elif text is None:
                order_field, order = _PID_FIELDS[0], Order.Asc  # browsing: every hit ties
        else:
            order_field, order = {
                SearchSort.PRICE_ASC: ("price", Order.Asc),
                SearchSort.PRICE_DESC: ("price", Order.Desc),
                SearchSort.RATING: ("rating", Order.Desc),
                SearchSort.NEWEST: ("created", Order.Desc),
            }[query.sort]

        page, total = _ordered_page(searcher, ranked, order_field, order, offset, limit)
        scored = order_field is None
        hits = tuple(
            SearchHit(_product_id(searcher, address), float(key) if scored else None) for key, address in page
        )
        reached = offset + len(page)
        return SearchResults(
            hits=hits,
            total=total,
            next_cursor=_cursor(query, reached) if page and reached < total else None,
            facets=self._facets(searcher, matching),
        )

    def _text_query(self, text: str) -> Query | None:
        """None when there is no text (match everything); no query at all when nothing in it is a word."""
        if not text.strip():
            return None
        text = text[:MAX_QUERY_LENGTH]
        plain, stems = self._plain.analyze(text), self._stemmed.analyze(text)
        words = _unique(zip(plain, stems, strict=False))
        if not words:
            return Query.empty_query()
        should = Occur.Should
        clauses = [(should, self._word_query(word, stem)) for word, stem in words]
        clauses.append(
            (
                should,
                Query.const_score_query(
                    Query.term_query(self._schema, "name_exact", " ".join(stems)), _EXACT_NAME
                ),
            )
        )
        phrase = stems[:_MAX_WORDS]
        if len(phrase) > 1:
            clauses.append(
                (
                    should,
                    Query.boost_query(Query.phrase_query(self._schema, "name", list(phrase)), _NAME_PHRASE),
                )
            )
        return Query.boolean_query(clauses)

    def _word_query(self, word: str, stem: str) -> Query:
        schema, should = self._schema, Occur.Should
        fields = (
            ("name", "name_plain", _NAME_WEIGHT),
            ("description", "description_plain", 1.0),
            ("categories", "categories_plain", 1.0),
        )
        relevance = Query.disjunction_max_query(
            [Query.boost_query(Query.term_query(schema, field, stem), weight) for field, _, weight in fields],
            _FIELD_TIE_BREAKER,
        )
        edits = _edits(word)
        found = []
        for field, plain_field, weight in fields:
            near = Query.term_query(schema, field, stem)
            if edits:
                near = Query.boolean_query(
                    [(should, near), (should, Query.fuzzy_term_query(schema, plain_field, word, edits))]
                )
            found.append(Query.const_score_query(near, _WORD_FOUND * weight))
        return Query.boolean_query([(should, relevance), (should, Query.disjunction_max_query(found, 0.0))])

    def _with_filters(self, base: Query, query: SearchQuery, boosts: Sequence[Query] = ()) -> Query:
        schema = self._schema
        filters: list[Query] = []
        if query.category_id is not None:
            filters.append(Query.term_query(schema, "category_path", query.category_id))
        if query.min_price is not None or query.max_price is not None:
            low, high = _price_bound(query.min_price), _price_bound(query.max_price)
            if low is not None and high is not None and low > high:
                filters.append(Query.empty_query())
            else:
                filters.append(Query.range_query(schema, "price", tantivy.FieldType.Integer, low, high))
        if query.currency is not None:
            filters.append(Query.term_query(schema, "currency", query.currency))
        if query.in_stock is not None:
            filters.append(Query.term_query(schema, "in_stock", query.in_stock))
        if query.seller_id is not None:
            filters.append(Query.term_query(schema, "seller_id", query.seller_id))
        if not filters and not boosts:
            return base
        clauses = [(Occur.Must, base)]
        # A filter only narrows: scored 0 so that, say, a deeper category path does not rank higher.
        clauses += [(Occur.Must, Query.const_score_query(f, 0.0)) for f in filters]
        clauses += [(Occur.Should, boost) for boost in boosts]
        return Query.boolean_query(clauses)

    def _affinity(self, affinity: Affinity) -> list[Query]:
        """Constant lifts for favourite categories and sellers; Should clauses, so they never add a hit."""
        weighted = [
            ("category_path", key, Affinity.CATEGORY_BOOST, w) for key, w in affinity.categories.items()
        ]
        weighted += [("seller_id", key, Affinity.SELLER_BOOST, w) for key, w in affinity.sellers.items()]
        # Weights are meant to be in (0, 1]: above is clamped, zero, negative or NaN is dropped.
        lifts = sorted(
            ((field, key, boost * min(weight, 1.0)) for field, key, boost, weight in weighted if weight > 0),
            key=lambda lift: -lift[2],
        )
        return [
            Query.const_score_query(Query.term_query(self._schema, field, key), lift)
            for field, key, lift in lifts[:_MAX_AFFINITIES]
        ]

    def _facets(self, searcher: tantivy.Searcher, matching: Query) -> Facets:
        # tantivy's ranges may not overlap: count each band between thresholds, then add up.
        thresholds = sorted(RATING_THRESHOLDS)
        rating_ranges: list[dict[str, Any]] = [
            {"key": str(low), "from": low} | ({"to": high} if high is not None else {})
            for low, high in zip(thresholds, [*thresholds[1:], None], strict=True)
        ]
        band_ranges = [
            {"key": band.key, "from": band.min_amount}
            | ({} if band.max_amount is None else {"to": band.max_amount})
            for band in PRICE_BANDS
        ]
        answer = searcher.aggregate(
            matching,
            {
                "categories": {"terms": {"field": "category_id", "size": _CATEGORY_FACET_SCAN}},
                "price_bands": {"range": {"field": "price", "ranges": band_ranges}},
                "ratings": {"range": {"field": "rating", "ranges": rating_ranges}},
            },
        )
        categories = sorted(
            ((str(bucket["key"]), int(bucket["doc_count"])) for bucket in answer["categories"]["buckets"]),
            key=lambda pair: (-pair[1], pair[0]),
        )
        bands = _bucket_counts(answer["price_bands"])
        rating_bands = _bucket_counts(answer["ratings"])
        return Facets(
            categories=tuple(FacetCount(key, count) for key, count in categories[:_CATEGORY_FACETS] if count),
            price_bands=tuple(FacetCount(band.key, bands.get(band.key, 0)) for band in PRICE_BANDS),
            ratings=tuple(
                FacetCount(
                    str(at_least), sum(rating_bands.get(str(t), 0) for t in thresholds if t >= at_least)
                )
                for at_least in RATING_THRESHOLDS
            ),
        )

    def _offset(self, query: SearchQuery) -> int:
        if query.cursor is None:
            return 0
        cursor = query.cursor
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        except (binascii.Error, ValueError):
            raise _invalid_cursor() from None
        # Decoding skips stray characters: only the exact spelling this backend wrote is accepted.
        if len(raw) != _CURSOR_LENGTH or _spell(raw) != cursor:
            raise _invalid_cursor()
        body, tag = raw[: _CURSOR_LAYOUT.size], raw[_CURSOR_LAYOUT.size :]
        version, offset = _CURSOR_LAYOUT.unpack(body)
        if version != _CURSOR_VERSION or not hmac.compare_digest(tag, _cursor_tag(query, body)):
            raise _invalid_cursor()
        return int(offset)

    # ----------------------------------------------------------------------------------- suggest

    def suggest(self, prefix: str, limit: int = 10) -> list[Suggestion]:
        limit = min(limit, MAX_PAGE_SIZE)
        prefix = prefix[:MAX_QUERY_LENGTH]
        words = _unique(zip(self._plain.analyze(prefix), self._stemmed.analyze(prefix), strict=False))
        if limit < 1 or not words:
            return []
        searcher = self._index.searcher()
        found: dict[str, Suggestion] = {}
        for typos in (False, True):  # exact prefixes first; near spellings only fill what is left
            query = self._suggest_query(words, typos)
            if query is not None:
                self._collect_suggestions(searcher, query, limit, found)
            if len(found) >= limit:
                break
        return list(found.values())[:limit]

    def _suggest_query(self, words: list[tuple[str, str]], typos: bool) -> Query | None:
        schema, must, should = self._schema, Occur.Must, Occur.Should
        *complete, (last, _) = words
        clauses = []
        for word, stem in complete:
            options = [Query.term_query(schema, "name_plain", word), Query.term_query(schema, "name", stem)]
            if typos and len(word) >= 4:
                options.append(Query.fuzzy_term_query(schema, "name_plain", word, 1))
            clauses.append((must, Query.boolean_query([(should, option) for option in options])))
        if typos and len(last) < 4:
            return None  # one typo in two or three letters matches nearly everything
        clauses.append(
            (must, Query.fuzzy_term_query(schema, "name_plain", last, 1 if typos else 0, prefix=True))
        )
        return Query.boolean_query(clauses)

    def _collect_suggestions(
        self, searcher: tantivy.Searcher, query: Query, limit: int, found: dict[str, Suggestion]
    ) -> None:
        """Best first (most rated, then by name), one entry per name, reading more while duplicates crowd in."""
        wanted = limit * 3
        while True:
            hits = searcher.search(
                query, wanted, count=False, order_by_field="suggest_key", order=Order.Asc
            ).hits
            for key, _ in hits:
                _, normalised, name, product_id = str(key).split(_SUGGEST_SEPARATOR)
                if normalised not in found:
                    found[normalised] = Suggestion(name, product_id)
                    if len(found) >= limit:
                        return
            if len(hits) < wanted or wanted >= _SUGGEST_SCAN_LIMIT:
                return
            wanted = min(wanted * 4, _SUGGEST_SCAN_LIMIT)


def _price_bound(amount: int | None) -> int | None:
    """Prices are 64-bit in the index: a bound beyond that range is clamped to it."""
    return None if amount is None else max(_I64_MIN, min(amount, _I64_MAX))


def _product_id(searcher: tantivy.Searcher, address: tantivy.DocAddress) -> str:
    return str(searcher.doc(address).get_first("product_id"))


def _ordered_page(
    searcher: tantivy.Searcher,
    query: Query,
    order_field: str | None,
    order: Order,
    offset: int,
    limit: int,
) -> tuple[list[tuple[Any, tantivy.DocAddress]], int]:
    """Hits ``[offset, offset + limit)`` ordered by score (or a field), ties by product id.

    tantivy orders ties by where documents sit in the index; to order them by product id the
    whole run of equal keys around each edge of the page is read and sorted.
    """
    wanted = offset + limit
    fetch = wanted
    while True:
        result = searcher.search(query, fetch, count=True, order_by_field=order_field, order=order)
        hits, total = result.hits, int(result.count)  # type: ignore[attr-defined]
        if len(hits) <= offset:
            return [], total
        end = min(wanted, len(hits))
        if len(hits) < fetch or len(hits) >= total or hits[-1][0] != hits[end - 1][0]:
            break
        fetch = min(total, fetch * 8)  # the run of ties at the page's end goes on past what was read
    first, last = hits[offset][0], hits[end - 1][0]
    start = offset
    while start > 0 and hits[start - 1][0] == first:
        start -= 1
    stop = end
    while stop < len(hits) and hits[stop][0] == last:
        stop += 1
    window = _ties_by_product_id(searcher, hits[start:stop], end - start)
    return window[offset - start :], total


def _ties_by_product_id(
    searcher: tantivy.Searcher, hits: list[tuple[Any, tantivy.DocAddress]], needed: int
) -> list[tuple[Any, tantivy.DocAddress]]:
    """The first ``needed`` of ``hits`` (ordered by key), equal keys ordered by product id."""
    keys = [key for key, _ in hits]
    if len(set(keys)) == len(keys):
        return hits[:needed]
    addresses = [address for _, address in hits]
    words = [[value or 0 for value in searcher.fast_field_values(field, addresses)] for field in _PID_FIELDS]
    runs = itertools.accumulate((key != before for before, key in itertools.pairwise(keys)), initial=0)
    ranks = list(zip(runs, *words, strict=True))
    order = sorted(range(len(hits)), key=ranks.__getitem__)
    # Ids alike in their first 36 characters: settle by the whole id, read from the stored document.
    ranked: list[tuple[Any, tantivy.DocAddress]] = []
    i = 0
    while i < min(needed, len(order)):
        j = i + 1
        while j < len(order) and ranks[order[j]] == ranks[order[i]]:
            j += 1
        group = [hits[k] for k in order[i:j]]
        if len(group) > 1:
            group.sort(key=lambda hit: _product_id(searcher, hit[1]))
        ranked.extend(group)
        i = j
    return ranked[:needed]


def _bucket_counts(aggregation: dict[str, Any]) -> dict[str, int]:
    return {str(bucket["key"]): int(bucket["doc_count"]) for bucket in aggregation.get("buckets", [])}


def _fingerprint(query: SearchQuery) -> bytes:
    """What a cursor is bound to: the question and its order (not the page size, not the affinity,
    which may change between pages without making the next page wrong)."""
    question = [
        query.text,
        query.category_id,
        query.min_price,
        query.max_price,
        query.currency,
        query.in_stock,
        query.seller_id,
        str(query.sort),
    ]
    return json.dumps(question, separators=(",", ":"), ensure_ascii=False).encode()


def _cursor_tag(query: SearchQuery, body: bytes) -> bytes:
    return hashlib.blake2b(body + _fingerprint(query), key=_CURSOR_KEY, digest_size=_CURSOR_TAG_SIZE).digest()


def _spell(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor(query: SearchQuery, offset: int) -> str:
    body = _CURSOR_LAYOUT.pack(_CURSOR_VERSION, offset)
    return _spell(body + _cursor_tag(query, body))
