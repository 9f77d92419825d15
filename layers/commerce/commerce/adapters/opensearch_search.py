"""OpenSearch behind the ``SearchBackend`` port: the cloud's product search.

One index (``products`` unless told otherwise) with a strict mapping, created lazily on the first write
or by ``recreate`` before a full reindex. What the adapter relies on:

| port      | OpenSearch                                                                               |
|-----------|------------------------------------------------------------------------------------------|
| index     | ``_bulk`` index actions, ``version_type=external`` with the product's version: a 409 is  |
|           | an older version arriving late, skipped; ``refresh=wait_for`` so the next search sees it |
| remove    | ``_bulk`` deletes (a 404 is fine), ``refresh=wait_for``                                   |
| search    | ``bool``: ``multi_match`` (or ``match_all``) + filters + bonus ``should`` clauses;        |
|           | ``sort`` with a ``product_id`` tiebreak; ``search_after`` pages; facets from aggregations |
| suggest   | the completion suggester on ``suggest`` (the name and each word-suffix of it), fuzzy     |

Ranking (relevance), like the embedded engine's: BM25 over name (x2), description and category names,
fuzzy; plus a constant when the name is exactly the query (same stems) and a smaller one when the
query's words stand in that order in the name; plus the customer's affinity. Scores are stable from
page to page: one shard, and the same shard copies for the same query (``preference``).

Cursors are URL-safe base64 JSON: the last hit's sort values, the sort, and a short hash over them and
the query, so a cursor replayed on another query or sort, or garbled, is ``invalid_cursor``.

Errors: no connection, a timeout, 429 and 5xx are ``DependencyFailure`` (the API answers 503);
401/403 are ``ConfigurationError`` (the function's role or the URL's user is not allowed in); an
index that does not exist yet searches as empty. Anything else is a bug in the request and raised.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

import boto3
from opensearchpy import (
    AuthenticationException,
    AuthorizationException,
    Connection,
    NotFoundError,
    OpenSearch,
    RequestError,
    TransportError,
    Urllib3AWSV4SignerAuth,
)
from opensearchpy import ConnectionError as OpenSearchConnectionError

from commerce.adapters.dynamodb import decode_cursor, encode_cursor, invalid_cursor
from commerce.errors import DependencyFailure
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
from commerce.settings import ConfigurationError

__all__ = ["INDEX_BODY", "OpenSearchSearch", "opensearch_client"]

#: A search runs inside an API Lambda: better a quick 503 than a request that hangs.
_TIMEOUT = 3.0
#: Bulk writes (and ``wait_for`` a refresh) run in the indexer, which can afford to wait longer.
_WRITE_TIMEOUT = 30.0
#: Retries on a dropped or refused connection only (a stale keep-alive socket); never on a timeout
#: or a 5xx, where the cluster is struggling and a retry would double the wait.
_RETRIES = 2
#: Documents per ``_bulk`` request: well under the smallest domain's 10 MB request limit.
_BULK_CHUNK = 1000
#: Terms of the category facet (``Facets.categories``).
_CATEGORY_FACET_SIZE = 20
#: Completion inputs longer than this are cut (the default, 50, would drop long product names).
_SUGGEST_INPUT_LENGTH = 100
#: Completion weights are Java ints.
_MAX_WEIGHT = 2**31 - 1
#: Relevance bonuses on top of BM25 (the embedded engine's too): the whole name is the query; the
#: query's words stand in this order in the name.
_EXACT_NAME = 4.0
_NAME_PHRASE = 1.0
#: A fuzzy term's automaton grows with its length: a 200-letter "word" fails the query
#: (too_complex_to_determinize). Queries holding a word longer than this (in UTF-8) are matched exactly.
_FUZZY_WORD_BYTES = 30
#: Characters the completion field reserves; an input holding one would fail the whole document.
_RESERVED = re.compile("[\x00\x1e\x1f]")
_AWS_HOST = re.compile(r"(?:\.([a-z]{2}(?:-[a-z]+)+-\d+))?\.(es|aoss)\.amazonaws\.com(?:\.cn)?$")
_UNAVAILABLE = "Search is unavailable; try again."

_TEXT_ANALYZER = "product_text"
_EXACT_ANALYZER = "product_exact"
_SUGGEST_ANALYZER = "product_suggest"
_ENGLISH = ["lowercase", "asciifolding", "english_possessive_stemmer", "english_stop", "english_stemmer"]
_CURSOR_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,2048}")

#: Settings and mapping of the index. One shard: a catalogue fits easily, and term statistics are then
#: those of the whole index, so scores (and ``search_after`` on them) do not depend on the shard.
INDEX_BODY: dict[str, Any] = {
    "settings": {
        "index": {"number_of_shards": 1},
        "analysis": {
            "filter": {
                "english_possessive_stemmer": {"type": "stemmer", "language": "possessive_english"},
                "english_stop": {"type": "stop", "stopwords": "_english_"},
                "english_stemmer": {"type": "stemmer", "language": "english"},
            },
            "analyzer": {
                # "Café's Headphones" and "cafe headphone" meet: folded, possessive gone, stemmed.
                _TEXT_ANALYZER: {"type": "custom", "tokenizer": "standard", "filter": _ENGLISH},
                # The whole name as one token of its sorted stems: "Wireless Earbuds" is exactly what
                # "wireless earbud" asks for, and nothing else is.
                _EXACT_ANALYZER: {
                    "type": "custom",
                    "tokenizer": "standard",
                    "filter": [*_ENGLISH, "fingerprint"],
                },
                # Completion matches prefixes of what is indexed: no stemming or stop words (they
                # would cut "headphones" to "headphon" and "the" from "The Ordinary"), and unlike
                # the default ``simple`` analyzer it keeps digits ("X2").
                _SUGGEST_ANALYZER: {
                    "type": "custom",
                    "tokenizer": "standard",
                    "filter": ["lowercase", "asciifolding"],
                },
            },
        },
    },
    "mappings": {
        "dynamic": "strict",
        "properties": {
            "product_id": {"type": "keyword"},
            "seller_id": {"type": "keyword"},
            "name": {
                "type": "text",
                "analyzer": _TEXT_ANALYZER,
                "fields": {
                    "keyword": {"type": "keyword", "ignore_above": 256},
                    "exact": {
                        "type": "text",
                        "analyzer": _EXACT_ANALYZER,
                        "index_options": "docs",
                        "norms": False,
                    },
                },
            },
            "description": {"type": "text", "analyzer": _TEXT_ANALYZER},
            "category_id": {"type": "keyword"},
            "category_path": {"type": "keyword"},
            "category_names": {"type": "text", "analyzer": _TEXT_ANALYZER},
            "price_amount": {"type": "long"},
            "currency": {"type": "keyword"},
            "in_stock": {"type": "boolean"},
            "rating_average": {"type": "float"},
            "rating_count": {"type": "integer"},
            "created_at": {"type": "date"},
            "suggest": {
                "type": "completion",
                "analyzer": _SUGGEST_ANALYZER,
                "search_analyzer": _SUGGEST_ANALYZER,
                "max_input_length": _SUGGEST_INPUT_LENGTH,
            },
        },
    },
}

#: Each sort's clauses; every one ends on ``product_id`` so pages never overlap or skip a tie.
_SORTS: dict[SearchSort, list[dict[str, Any]]] = {
    SearchSort.RELEVANCE: [{"_score": {"order": "desc"}}],
    SearchSort.PRICE_ASC: [{"price_amount": {"order": "asc"}}],
    SearchSort.PRICE_DESC: [{"price_amount": {"order": "desc"}}],
    SearchSort.RATING: [{"rating_average": {"order": "desc", "missing": "_last"}}],
    SearchSort.NEWEST: [{"created_at": {"order": "desc"}}],
}
_TIEBREAK: dict[str, Any] = {"product_id": {"order": "asc"}}

_T = TypeVar("_T")


# ---------------------------------------------------------------------- the client
def opensearch_client(
    url: str, region: str | None = None, *, connection_class: type[Connection] | None = None
) -> OpenSearch:
    """A client for ``url``: SigV4-signed with the function's role for an Amazon OpenSearch domain
    (``*.es.amazonaws.com``) or Serverless collection (``*.aoss.amazonaws.com``), basic auth when the
    URL carries ``user:password@`` (it wins: a domain's internal user), nothing otherwise. ``region`` is
    only a fallback for a host name that does not say its region. ``connection_class`` is for tests (a
    fake cluster at the HTTP boundary)."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigurationError(f"The OpenSearch URL must be http(s)://host[:port], not {url!r}.")
    secure = parts.scheme == "https"
    host: dict[str, Any] = {
        "host": parts.hostname,
        "port": parts.port or (443 if secure else 80),
        "use_ssl": secure,
    }
    if parts.path.strip("/"):
        host["url_prefix"] = parts.path
    options: dict[str, Any] = {}
    if parts.username is not None:
        options["http_auth"] = (unquote(parts.username), unquote(parts.password or ""))
    elif (aws := _AWS_HOST.search(parts.hostname)) is not None:
        # The region in the host name is the one the endpoint verifies signatures for.
        options["http_auth"] = _sigv4(aws.group(1) or region, aws.group(2))
    if connection_class is not None:
        options["connection_class"] = connection_class
    return OpenSearch(
        hosts=[host],
        verify_certs=secure,
        timeout=_TIMEOUT,
        max_retries=_RETRIES,
        retry_on_timeout=False,
        retry_on_status=(),
        **options,
    )


def _sigv4(region: str | None, service: str) -> Urllib3AWSV4SignerAuth:
    """Signs every request with boto3's default credentials (the Lambda role's, refreshed as they rotate)."""
    session = boto3.Session()
    credentials = session.get_credentials()
    region = region or session.region_name
    if credentials is None or not region:
        raise ConfigurationError("No AWS credentials or region to sign OpenSearch requests with.")
    return Urllib3AWSV4SignerAuth(credentials, region, service)


@contextmanager
def _cluster_errors() -> Iterator[None]:
    """The cluster's failures in the domain's terms; see the module docstring."""
    try:
        yield
    except OpenSearchConnectionError as error:  # also ConnectionTimeout and SSLError
        raise DependencyFailure(_UNAVAILABLE, code="search_unavailable") from error
    except (AuthenticationException, AuthorizationException) as error:
        raise ConfigurationError(
            f"OpenSearch refused this function ({error.status_code}); check its role or the URL's user."
        ) from error
    except TransportError as error:
        status = error.status_code
        if isinstance(status, int) and (status == 429 or status >= 500):
            raise DependencyFailure(_UNAVAILABLE, code="search_unavailable") from error
        raise


def _index_missing(error: NotFoundError) -> bool:
    return error.error == "index_not_found_exception"


# ---------------------------------------------------------------------- the adapter
class OpenSearchSearch(SearchBackend):
    def __init__(self, client: OpenSearch, index_name: str = "products") -> None:
        self._client = client
        self._index = index_name
        self._ready = False

    # ------------------------------------------------------------------ the index
    def ensure_index(self) -> None:
        """Creates the index with its mapping unless it exists; without this the first write would
        auto-create one with a guessed mapping."""
        if self._ready:
            return
        with _cluster_errors():
            if not self._client.indices.exists(index=self._index):
                try:
                    self._create()
                except RequestError as error:
                    if error.error != "resource_already_exists_exception":  # another writer was first
                        raise
        self._ready = True

    def drop(self) -> None:
        """Deletes the index and everything in it; an index that is not there is fine."""
        self._ready = False
        with _cluster_errors(), suppress(NotFoundError):
            self._client.indices.delete(index=self._index, request_timeout=_WRITE_TIMEOUT)

    def recreate(self) -> None:
        self.drop()
        with _cluster_errors():
            self._create()
        self._ready = True

    def _create(self) -> None:
        self._client.indices.create(index=self._index, body=INDEX_BODY, request_timeout=_WRITE_TIMEOUT)

    # ------------------------------------------------------------------ writing
    def index(self, documents: Iterable[SearchDocument]) -> list[str]:
        failed: list[str] = []
        for chunk in _chunks(documents, _BULK_CHUNK):
            self.ensure_index()
            lines: list[dict[str, Any]] = []
            for document in chunk:
                action = {
                    "_index": self._index,
                    "_id": document.product_id,
                    "version": document.version,
                    "version_type": "external",
                }
                lines += [{"index": action}, _source(document)]
            # 409: the index holds this version or a newer one (a late or repeated event), not a failure.
            failed += self._bulk(lines, [d.product_id for d in chunk], tolerated=409)
        return _unique(failed)

    def remove(self, product_ids: Iterable[str]) -> list[str]:
        failed: list[str] = []
        for chunk in _chunks(product_ids, _BULK_CHUNK):
            lines = [{"delete": {"_index": self._index, "_id": product_id}} for product_id in chunk]
            failed += self._bulk(lines, chunk, tolerated=404)
        return _unique(failed)

    def _bulk(self, lines: list[dict[str, Any]], ids: Sequence[str], *, tolerated: int) -> list[str]:
        """One ``_bulk`` request; the ids whose item failed for another reason than ``tolerated``."""
        with _cluster_errors():
            response = self._client.bulk(body=lines, refresh="wait_for", request_timeout=_WRITE_TIMEOUT)
        items = _list(_dict(response).get("items"))
        failed = [
            product_id for product_id, item in zip(ids, items, strict=False) if not _ok(item, tolerated)
        ]
        return failed + list(ids[len(items) :])  # an answer without an item for a document is no success

    # ------------------------------------------------------------------ searching
    def search(self, query: SearchQuery) -> SearchResults:
        fingerprint = _fingerprint(query)
        limit = max(1, min(query.limit, MAX_PAGE_SIZE))
        body: dict[str, Any] = {
            "query": _query(query),
            "sort": [*_SORTS[query.sort], _TIEBREAK],
            "size": limit + 1,  # one more than shown: is there a next page?
            "track_total_hits": True,
            "_source": False,
            "aggs": _AGGREGATIONS,
        }
        if query.cursor is not None:
            body["search_after"] = _after(query.cursor, query.sort, fingerprint)
        with _cluster_errors():
            try:
                # The same query goes to the same shard copies, so scores hold still from page to page.
                response = _dict(
                    self._client.search(index=self._index, body=body, preference=f"q{fingerprint}")
                )
            except NotFoundError as error:
                if not _index_missing(error):
                    raise
                return SearchResults(hits=(), total=0, next_cursor=None, facets=_facets({}))
        found = [_dict(hit) for hit in _list(_dict(response.get("hits")).get("hits"))]
        page = found[:limit]
        next_cursor = None
        if len(found) > limit:
            next_cursor = _cursor(page[-1].get("sort"), query.sort, fingerprint)
        return SearchResults(
            hits=tuple(SearchHit(str(hit["_id"]), _score(hit.get("_score"))) for hit in page),
            total=_total(_dict(response.get("hits")).get("total")),
            next_cursor=next_cursor,
            facets=_facets(_dict(response.get("aggregations"))),
        )

    def suggest(self, prefix: str, limit: int = 10) -> list[Suggestion]:
        text = prefix.strip()
        # Nothing to complete: no letter or digit (punctuation analyses to nothing, and an empty prefix
        # would complete every name), or longer than any indexed input.
        if not any(ch.isalnum() for ch in text) or len(text) > _SUGGEST_INPUT_LENGTH:
            return []
        limit = max(1, min(limit, MAX_PAGE_SIZE))
        body = {
            "_source": ["name"],
            "suggest": {
                "products": {
                    "prefix": text,
                    "completion": {
                        "field": "suggest",
                        # Twice the room: names shared by several products are shown once (below).
                        "size": 2 * limit,
                        # Not ``skip_duplicates``: it compares the matched input, so two products
                        # ending in "Wireless Earbuds" would hide each other.
                        "skip_duplicates": False,
                        "fuzzy": {"fuzziness": 1, "prefix_length": 1},
                    },
                }
            },
        }
        with _cluster_errors():
            try:
                response = _dict(self._client.search(index=self._index, body=body))
            except NotFoundError as error:
                if not _index_missing(error):
                    raise
                return []
        suggestions: list[Suggestion] = []
        seen: set[str] = set()
        for entry in _list(_dict(response.get("suggest")).get("products")):
            for option in _list(_dict(entry).get("options")):
                hit = _dict(option)
                name = _dict(hit.get("_source")).get("name")
                if not isinstance(name, str) or name.casefold() in seen:
                    continue
                seen.add(name.casefold())
                suggestions.append(Suggestion(text=name, product_id=str(hit["_id"])))
        return suggestions[:limit]


# ---------------------------------------------------------------------- documents
def _source(document: SearchDocument) -> dict[str, Any]:
    created = document.created_at
    created = created.replace(tzinfo=UTC) if created.tzinfo is None else created.astimezone(UTC)
    return {
        "product_id": document.product_id,
        "seller_id": document.seller_id,
        "name": document.name,
        "description": document.description,
        "category_id": document.category_id,
        "category_path": list(document.category_path),
        "category_names": list(document.category_names),
        "price_amount": document.price_amount,
        "currency": document.currency,
        "in_stock": document.in_stock,
        "rating_average": document.rating_average,
        "rating_count": document.rating_count,
        "created_at": created.isoformat(timespec="milliseconds"),
        "suggest": {
            "input": _suggest_inputs(document.name),
            # The most reviewed first; never 0, which Lucene would score by prefix length alone.
            "weight": max(0, min(document.rating_count, _MAX_WEIGHT - 1)) + 1,
        },
    }


def _suggest_inputs(name: str) -> list[str]:
    """The name and each word-suffix of it: "earb" completes "Aurora X2 Wireless Earbuds"."""
    words = _RESERVED.sub(" ", name).split()
    return _unique([" ".join(words[start:]) for start in range(len(words))])


def _ok(item: Any, tolerated: int) -> bool:
    """A bulk item (``{"index": {...}}`` or ``{"delete": {...}}``) that was applied or may be ignored."""
    result = _dict(next(iter(_dict(item).values()), None))
    status = result.get("status")
    return isinstance(status, int) and (200 <= status < 300 or status == tolerated)


# ---------------------------------------------------------------------- queries
def _query(query: SearchQuery) -> dict[str, Any]:
    text = _text(query)
    must: dict[str, Any]
    should: list[dict[str, Any]] = []
    if text:
        # most_fields: a product's words are spread over its name, categories and description, and
        # a product that matches more of them, in more fields, should rank higher. (cross_fields would
        # be the textbook choice but refuses fuzziness.) Operator "or" with no minimum_should_match:
        # a per-field minimum would drop "aurora headphones" when "headphones" is only a category.
        match: dict[str, Any] = {
            "query": text,
            "type": "most_fields",
            "fields": ["name^2", "description", "category_names"],
            "operator": "or",
        }
        words = text.split()
        if max(len(word.encode()) for word in words) <= _FUZZY_WORD_BYTES:
            match |= {"fuzziness": "AUTO", "prefix_length": 1}
        must = {"multi_match": match}
        if query.sort is SearchSort.RELEVANCE:
            should.append(_bonus({"match": {"name.exact": text}}, _EXACT_NAME))
            if len(words) > 1:
                should.append(_bonus({"match_phrase": {"name": text}}, _NAME_PHRASE))
    else:
        must = {"match_all": {}}
    filters: list[dict[str, Any]] = []
    if query.category_id is not None:
        filters.append({"term": {"category_path": query.category_id}})
    price: dict[str, int] = {}
    if query.min_price is not None:
        price["gte"] = query.min_price
    if query.max_price is not None:
        price["lte"] = query.max_price
    if price:
        filters.append({"range": {"price_amount": price}})
    if query.currency is not None:
        filters.append({"term": {"currency": query.currency}})
    if query.in_stock is not None:
        filters.append({"term": {"in_stock": query.in_stock}})
    if query.seller_id is not None:
        filters.append({"term": {"seller_id": query.seller_id}})
    if query.sort is SearchSort.RELEVANCE and query.affinity:
        should += _affinity(query.affinity)
    boolean: dict[str, Any] = {"must": [must], "filter": filters}
    if should:
        # With a must clause, should clauses only add score: a bonus never makes a product match.
        boolean |= {"should": should, "minimum_should_match": 0}
    return {"bool": boolean}


def _text(query: SearchQuery) -> str:
    return query.text.strip()[:MAX_QUERY_LENGTH]


def _bonus(condition: dict[str, Any], boost: float) -> dict[str, Any]:
    """A fixed amount added to the score of a product that meets ``condition``."""
    return {"constant_score": {"filter": condition, "boost": boost}}


def _affinity(affinity: Affinity) -> list[dict[str, Any]]:
    """A constant lift per favourite category (anywhere on the product's path) and seller."""
    clauses: list[dict[str, Any]] = []
    for field, weights, boost in (
        ("category_path", affinity.categories, Affinity.CATEGORY_BOOST),
        ("seller_id", affinity.sellers, Affinity.SELLER_BOOST),
    ):
        for key, weight in sorted(weights.items()):
            if weight > 0:  # a negative boost is refused by OpenSearch; zero lifts nothing
                clauses.append(_bonus({"term": {field: key}}, boost * weight))
    return clauses


_AGGREGATIONS: dict[str, Any] = {
    "categories": {
        "terms": {
            "field": "category_id",
            "size": _CATEGORY_FACET_SIZE,
            "order": [{"_count": "desc"}, {"_key": "asc"}],
        }
    },
    # Range aggregations count ``from`` inclusive, ``to`` exclusive: exactly ``PriceBand.holds``.
    "price_bands": {
        "range": {
            "field": "price_amount",
            "keyed": True,
            "ranges": [
                {"key": band.key, "from": band.min_amount}
                | ({} if band.max_amount is None else {"to": band.max_amount})
                for band in PRICE_BANDS
            ],
        }
    },
    # Overlapping ranges, each open-ended: "4" counts every product averaging 4 or more.
    "ratings": {
        "range": {
            "field": "rating_average",
            "keyed": True,
            "ranges": [{"key": str(threshold), "from": threshold} for threshold in RATING_THRESHOLDS],
        }
    },
}


def _facets(aggregations: Mapping[str, Any]) -> Facets:
    """Facets from the aggregations; every band and threshold is there, zeros included."""
    categories = tuple(
        FacetCount(str(bucket["key"]), int(bucket["doc_count"]))
        for bucket in map(_dict, _list(_dict(aggregations.get("categories")).get("buckets")))
    )
    bands = _bucket_counts(aggregations.get("price_bands"))
    ratings = _bucket_counts(aggregations.get("ratings"))
    return Facets(
        categories=categories,
        price_bands=tuple(FacetCount(band.key, bands.get(band.key, 0)) for band in PRICE_BANDS),
        ratings=tuple(FacetCount(str(t), ratings.get(str(t), 0)) for t in RATING_THRESHOLDS),
    )


def _bucket_counts(aggregation: Any) -> dict[str, int]:
    """A range aggregation's counts by key, whether its buckets came keyed (an object) or as a list."""
    buckets = _dict(aggregation).get("buckets")
    pairs = (
        buckets.items() if isinstance(buckets, dict) else ((_dict(b).get("key"), b) for b in _list(buckets))
    )
    return {str(key): int(_dict(bucket).get("doc_count", 0)) for key, bucket in pairs}


def _total(total: Any) -> int:
    """``hits.total``: ``{"value": n, "relation": "eq"}`` (exact, as ``track_total_hits`` is on)."""
    if isinstance(total, dict):
        return int(total.get("value", 0))
    return int(total) if isinstance(total, int) else 0


def _score(score: Any) -> float | None:
    return float(score) if isinstance(score, int | float) and not isinstance(score, bool) else None


# ---------------------------------------------------------------------- cursors
def _fingerprint(query: SearchQuery) -> str:
    """A short digest of everything that decides the order of results, so a cursor cannot be replayed
    on another query or sort (its position would mean nothing there)."""
    state = {
        "text": _text(query),
        "category": query.category_id,
        "min": query.min_price,
        "max": query.max_price,
        "currency": query.currency,
        "in_stock": query.in_stock,
        "seller": query.seller_id,
        "sort": query.sort.value,
        "affinity": (
            [sorted(query.affinity.categories.items()), sorted(query.affinity.sellers.items())]
            if query.sort is SearchSort.RELEVANCE
            else None
        ),
    }
    digest = hashlib.sha256(json.dumps(state, sort_keys=True, separators=(",", ":")).encode()).digest()
    return digest[:9].hex()


def _cursor(sort_values: Any, sort: SearchSort, fingerprint: str) -> str:
    """The last hit's sort values (``search_after`` of the next page), the sort, and a check over both
    and the query's fingerprint."""
    after = [_portable(value) for value in _list(sort_values)]
    return encode_cursor({"a": after, "c": _check(fingerprint, after), "s": sort.value})


def _check(fingerprint: str, after: list[Any]) -> str:
    """Binds a position to its query: a cursor replayed on another query, or garbled, fails it."""
    state = json.dumps([fingerprint, after], separators=(",", ":"))
    return hashlib.sha256(state.encode()).digest()[:9].hex()


def _portable(value: Any) -> Any:
    """Non-finite floats (a missing rating sorted last) as the strings OpenSearch reads back."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def _after(cursor: str, sort: SearchSort, fingerprint: str) -> list[Any]:
    """``search_after`` from a cursor this adapter made for this very query and sort, else invalid_cursor."""
    if not _CURSOR_SHAPE.fullmatch(cursor):  # base64 decoding would skip stray characters
        raise invalid_cursor()
    state = decode_cursor(cursor, {"a", "c", "s"})
    after = state.get("a")
    if state.get("s") != sort.value or not isinstance(after, list):
        raise invalid_cursor()
    if state.get("c") != _check(fingerprint, after):
        raise invalid_cursor()
    if len(after) != 2 or not isinstance(after[1], str) or not _sort_value(after[0], sort):
        raise invalid_cursor()
    return after


def _sort_value(value: Any, sort: SearchSort) -> bool:
    """Whether ``value`` can be the first sort value of ``sort``: a forged one must not reach the cluster."""
    if isinstance(value, bool):
        return False
    if sort in {SearchSort.PRICE_ASC, SearchSort.PRICE_DESC, SearchSort.NEWEST}:
        return isinstance(value, int)
    if sort is SearchSort.RATING and (value is None or isinstance(value, str)):
        return value in {None, "Infinity", "-Infinity"}  # how a missing rating may sort last
    return isinstance(value, int | float) and math.isfinite(value)


# ---------------------------------------------------------------------- narrowing
def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _chunks(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    chunk: list[_T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
