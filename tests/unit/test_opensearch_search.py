"""The OpenSearch adapter, tested at the client's HTTP boundary: the real ``opensearch-py`` client
(serialisation, retries, error classes) talks to ``FakeCluster``, a ``Connection`` that records every
request and answers the way OpenSearch 2.x does. What goes over the wire and how the answers are read
are both proven here; what the cluster does with the request is the contract suite's job (it runs
against a real cluster when ``OPENSEARCH_URL`` is set)."""

from __future__ import annotations

import base64
import json
from collections import deque
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from opensearchpy import (
    Connection,
    ConnectionTimeout,
    OpenSearch,
    RequestError,
    Urllib3AWSV4SignerAuth,
)
from opensearchpy import ConnectionError as OpenSearchConnectionError

from commerce.adapters.opensearch_search import INDEX_BODY, OpenSearchSearch, opensearch_client
from commerce.errors import DependencyFailure, InvalidInput
from commerce.search.model import (
    MAX_PAGE_SIZE,
    MAX_QUERY_LENGTH,
    PRICE_BANDS,
    Affinity,
    FacetCount,
    SearchDocument,
    SearchQuery,
    SearchSort,
    Suggestion,
)
from commerce.settings import ConfigurationError

INDEX = "products-test"


# ---------------------------------------------------------------------- the fake cluster
@dataclass(frozen=True)
class Sent:
    method: str
    path: str
    params: dict[str, Any]
    #: JSON decoded; a ``_bulk`` body as its list of NDJSON lines.
    body: Any
    timeout: float | None


@dataclass
class Answer:
    status: int
    body: Any


@dataclass
class FakeCluster:
    """One OpenSearch node, played in-process. Indices are created, checked and deleted as asked; a
    ``_bulk`` applies every item (201/200) unless ``item_status`` says otherwise for an id; a search
    answers what was queued with ``answer`` (an empty result otherwise). ``answer``/``fail`` queue the
    next responses, whatever the request."""

    indices: set[str] = field(default_factory=set)
    requests: list[Sent] = field(default_factory=list)
    item_status: dict[str, tuple[int, str]] = field(default_factory=dict)
    queued: deque[Answer | Exception] = field(default_factory=deque)

    def answer(self, body: Any, status: int = 200) -> None:
        self.queued.append(Answer(status, body))

    def fail(self, error: Exception) -> None:
        self.queued.append(error)

    def connection_class(self) -> type[Connection]:
        cluster = self

        class FakeConnection(Connection):
            def perform_request(
                self,
                method: str,
                url: str,
                params: Mapping[str, Any] | None = None,
                body: bytes | None = None,
                timeout: float | None = None,
                ignore: Collection[int] = (),
                headers: Mapping[str, str] | None = None,
            ) -> Any:
                # As on the wire: the client escapes parameters (to bytes), the connection urlencodes them.
                query = dict(parse_qsl(urlencode(params or {})))
                answer = cluster.handle(method, url, query, body, timeout)
                raw = "" if answer.body is None else json.dumps(answer.body)  # HEAD answers have no body
                if not 200 <= answer.status < 300 and answer.status not in ignore:
                    self._raise_error(answer.status, raw, "application/json")
                return answer.status, {"content-type": "application/json"}, raw

        return FakeConnection

    def client(self) -> OpenSearch:
        return opensearch_client("http://localhost:9200", connection_class=self.connection_class())

    # ------------------------------------------------------------------ answering
    def handle(
        self, method: str, path: str, params: dict[str, Any], body: bytes | None, timeout: float | None
    ) -> Answer:
        text = body.decode() if body else ""
        decoded: Any = None
        if path.endswith("/_bulk"):
            decoded = [json.loads(line) for line in text.splitlines() if line]
        elif text:
            decoded = json.loads(text)
        self.requests.append(Sent(method, path, params, decoded, timeout))
        if self.queued:
            queued = self.queued.popleft()
            if isinstance(queued, Exception):
                raise queued
            return queued
        name = path.strip("/").split("/")[0]
        if path.endswith("/_bulk"):
            return Answer(200, self._bulk(decoded))
        if path.endswith("/_search"):
            return Answer(200, search_response([]))
        if method == "HEAD":
            return Answer(200 if name in self.indices else 404, None)
        if method == "PUT":
            if name in self.indices:
                return Answer(400, error_body("resource_already_exists_exception", name))
            self.indices.add(name)
            return Answer(200, {"acknowledged": True, "shards_acknowledged": True, "index": name})
        if method == "DELETE":
            if name not in self.indices:
                return Answer(404, error_body("index_not_found_exception", name))
            self.indices.discard(name)
            return Answer(200, {"acknowledged": True})
        raise AssertionError(f"FakeCluster does not know {method} {path}")

    def _bulk(self, lines: list[dict[str, Any]]) -> dict[str, Any]:
        items = []
        for line in lines:
            if not {"index", "delete"} & set(line):
                continue  # a document's source
            ((op, action),) = line.items()
            status, error = self.item_status.get(action["_id"], (201 if op == "index" else 200, ""))
            item: dict[str, Any] = {"_index": action["_index"], "_id": action["_id"], "status": status}
            if error:
                item["error"] = {"type": error, "reason": f"[{action['_id']}]: {error}"}
            else:
                item |= {
                    "_version": action.get("version", 1),
                    "result": "created" if op == "index" else "deleted",
                }
            items.append({op: item})
        return {"took": 4, "errors": any("error" in next(iter(i.values())) for i in items), "items": items}

    # ------------------------------------------------------------------ reading
    def sent(self, method: str, suffix: str = "") -> list[Sent]:
        return [r for r in self.requests if r.method == method and r.path.endswith(suffix)]

    def last_search(self) -> dict[str, Any]:
        body = self.sent("POST", "/_search")[-1].body
        assert isinstance(body, dict)
        return body


def error_body(kind: str, index: str, status: int = 400) -> dict[str, Any]:
    reason = {"type": kind, "reason": f"{kind} [{index}]", "index": index}
    return {"error": {"root_cause": [reason], **reason}, "status": status}


def search_response(
    hits: list[tuple[str, float | None, list[Any]]],
    total: int | None = None,
    aggregations: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A ``_search`` answer as OpenSearch 2.x spells it (``_source: false``, sorted hits)."""
    scores = [score for _, score, _ in hits if score is not None]
    return {
        "took": 7,
        "timed_out": False,
        "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
        "hits": {
            "total": {"value": len(hits) if total is None else total, "relation": "eq"},
            "max_score": max(scores) if scores else None,
            "hits": [
                {"_index": INDEX, "_id": product_id, "_score": score, "sort": sort}
                for product_id, score, sort in hits
            ],
        },
        "aggregations": aggregations if aggregations is not None else AGGREGATIONS,
    }


#: Aggregations as a cluster returns them for the request the adapter sends (keyed ranges).
AGGREGATIONS: dict[str, Any] = {
    "categories": {
        "doc_count_error_upper_bound": 0,
        "sum_other_doc_count": 0,
        "buckets": [{"key": "earbuds", "doc_count": 3}, {"key": "speakers", "doc_count": 1}],
    },
    "price_bands": {
        "buckets": {
            "under_25": {"from": 0.0, "to": 2500.0, "doc_count": 1},
            "25_to_50": {"from": 2500.0, "to": 5000.0, "doc_count": 0},
            "50_to_100": {"from": 5000.0, "to": 10000.0, "doc_count": 2},
            "100_to_200": {"from": 10000.0, "to": 20000.0, "doc_count": 1},
            "200_to_500": {"from": 20000.0, "to": 50000.0, "doc_count": 0},
            "500_and_up": {"from": 50000.0, "doc_count": 0},
        }
    },
    "ratings": {
        "buckets": {
            "4": {"from": 4.0, "doc_count": 2},
            "3": {"from": 3.0, "doc_count": 3},
            "2": {"from": 2.0, "doc_count": 3},
            "1": {"from": 1.0, "doc_count": 3},
        }
    },
}


def suggest_response(options: list[tuple[str, str, str]]) -> dict[str, Any]:
    """A completion answer: (matched input, product id, name) per option."""
    return {
        "took": 2,
        "timed_out": False,
        "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
        "hits": {"total": {"value": 0, "relation": "eq"}, "max_score": None, "hits": []},
        "suggest": {
            "products": [
                {
                    "text": "earb",
                    "offset": 0,
                    "length": 4,
                    "options": [
                        {"text": text, "_index": INDEX, "_id": pid, "_score": 12.0, "_source": {"name": name}}
                        for text, pid, name in options
                    ],
                }
            ]
        },
    }


def document(product_id: str = "p-1", **changes: Any) -> SearchDocument:
    base = SearchDocument(
        product_id=product_id,
        seller_id="seller-1",
        name="Aurora X2 Wireless Earbuds",
        description="Noise-cancelling earbuds with a charging case.",
        category_id="earbuds",
        category_path=("electronics", "audio", "earbuds"),
        category_names=("Electronics", "Audio", "Earbuds"),
        price_amount=7999,
        currency="EUR",
        in_stock=True,
        rating_average=4.5,
        rating_count=120,
        created_at=datetime(2025, 3, 1, 12, 30, tzinfo=UTC),
        version=3,
    )
    return replace(base, **changes)


@pytest.fixture
def cluster() -> FakeCluster:
    return FakeCluster(indices={INDEX})


@pytest.fixture
def search(cluster: FakeCluster) -> OpenSearchSearch:
    return OpenSearchSearch(cluster.client(), index_name=INDEX)


def page(count: int, start: int = 0) -> list[tuple[str, float | None, list[Any]]]:
    return [(f"p-{i}", 10.0 - i, [10.0 - i, f"p-{i}"]) for i in range(start, start + count)]


# ---------------------------------------------------------------------- the index
def test_the_first_write_creates_the_index_with_its_mapping_and_analyzers() -> None:
    cluster = FakeCluster()
    backend = OpenSearchSearch(cluster.client(), index_name=INDEX)

    backend.index([document()])

    head, put, bulk = cluster.requests
    assert (head.method, head.path) == ("HEAD", f"/{INDEX}")
    assert (put.method, put.path) == ("PUT", f"/{INDEX}")
    assert put.body == INDEX_BODY
    assert bulk.path == "/_bulk"
    analysis = put.body["settings"]["analysis"]
    assert analysis["analyzer"]["product_text"] == {
        "type": "custom",
        "tokenizer": "standard",
        "filter": [
            "lowercase",
            "asciifolding",
            "english_possessive_stemmer",
            "english_stop",
            "english_stemmer",
        ],
    }
    assert analysis["filter"]["english_possessive_stemmer"] == {
        "type": "stemmer",
        "language": "possessive_english",
    }
    assert analysis["filter"]["english_stemmer"] == {"type": "stemmer", "language": "english"}


def test_the_mapping_is_strict_and_types_every_field() -> None:
    mappings = INDEX_BODY["mappings"]
    types = {name: spec["type"] for name, spec in mappings["properties"].items()}

    assert mappings["dynamic"] == "strict"
    assert types == {
        "product_id": "keyword",
        "seller_id": "keyword",
        "name": "text",
        "description": "text",
        "category_id": "keyword",
        "category_path": "keyword",
        "category_names": "text",
        "price_amount": "long",
        "currency": "keyword",
        "in_stock": "boolean",
        "rating_average": "float",
        "rating_count": "integer",
        "created_at": "date",
        "suggest": "completion",
    }
    for text_field in ("name", "description", "category_names"):
        assert mappings["properties"][text_field]["analyzer"] == "product_text"
    assert mappings["properties"]["name"]["fields"]["keyword"]["type"] == "keyword"


def test_the_exact_name_field_holds_the_whole_name_as_one_token_of_its_stems() -> None:
    analysis = INDEX_BODY["settings"]["analysis"]
    exact = INDEX_BODY["mappings"]["properties"]["name"]["fields"]["exact"]

    assert exact["analyzer"] == "product_exact"
    assert analysis["analyzer"]["product_exact"]["filter"] == [
        *analysis["analyzer"]["product_text"]["filter"],
        "fingerprint",
    ]


def test_completion_inputs_keep_digits_and_are_neither_stemmed_nor_stopped() -> None:
    suggest = INDEX_BODY["mappings"]["properties"]["suggest"]

    assert suggest["analyzer"] == suggest["search_analyzer"] == "product_suggest"
    assert INDEX_BODY["settings"]["analysis"]["analyzer"]["product_suggest"] == {
        "type": "custom",
        "tokenizer": "standard",
        "filter": ["lowercase", "asciifolding"],
    }


def test_an_existing_index_is_checked_once_and_not_created_again(
    cluster: FakeCluster, search: OpenSearchSearch
) -> None:
    search.index([document("p-1")])
    search.index([document("p-2")])

    assert [(r.method, r.path) for r in cluster.requests] == [
        ("HEAD", f"/{INDEX}"),
        ("POST", "/_bulk"),
        ("POST", "/_bulk"),
    ]


def test_an_index_created_meanwhile_by_another_writer_is_fine() -> None:
    cluster = FakeCluster()
    backend = OpenSearchSearch(cluster.client(), index_name=INDEX)
    cluster.answer(None, status=404)  # HEAD: not there yet...
    cluster.answer(error_body("resource_already_exists_exception", INDEX), status=400)  # ...then it is

    assert backend.index([document()]) == []
    assert cluster.sent("POST", "/_bulk")


def test_recreate_deletes_the_index_and_creates_it_with_the_mapping(
    cluster: FakeCluster, search: OpenSearchSearch
) -> None:
    search.recreate()
    search.index([document()])

    assert [(r.method, r.path) for r in cluster.requests] == [
        ("DELETE", f"/{INDEX}"),
        ("PUT", f"/{INDEX}"),
        ("POST", "/_bulk"),
    ]
    assert cluster.requests[1].body == INDEX_BODY


def test_drop_ignores_an_index_that_is_not_there() -> None:
    cluster = FakeCluster()
    backend = OpenSearchSearch(cluster.client(), index_name=INDEX)

    backend.drop()
    backend.recreate()

    assert [(r.method, r.path) for r in cluster.requests] == [
        ("DELETE", f"/{INDEX}"),
        ("DELETE", f"/{INDEX}"),
        ("PUT", f"/{INDEX}"),
    ]


# ---------------------------------------------------------------------- writing
def test_bulk_lines_carry_the_external_version_and_wait_for_a_refresh(
    cluster: FakeCluster, search: OpenSearchSearch
) -> None:
    search.index([document("p-1", version=3), document("p-2", version=8)])

    (bulk,) = cluster.sent("POST", "/_bulk")
    assert bulk.params["refresh"] == "wait_for"
    actions = bulk.body[0::2]
    assert actions == [
        {"index": {"_index": INDEX, "_id": "p-1", "version": 3, "version_type": "external"}},
        {"index": {"_index": INDEX, "_id": "p-2", "version": 8, "version_type": "external"}},
    ]


def test_a_document_is_sent_with_every_mapped_field_and_its_completion_inputs(
    cluster: FakeCluster, search: OpenSearchSearch
) -> None:
    search.index([document(created_at=datetime(2025, 3, 1, 13, 30, tzinfo=UTC))])

    source = cluster.sent("POST", "/_bulk")[0].body[1]
    assert source == {
        "product_id": "p-1",
        "seller_id": "seller-1",
        "name": "Aurora X2 Wireless Earbuds",
        "description": "Noise-cancelling earbuds with a charging case.",
        "category_id": "earbuds",
        "category_path": ["electronics", "audio", "earbuds"],
        "category_names": ["Electronics", "Audio", "Earbuds"],
        "price_amount": 7999,
        "currency": "EUR",
        "in_stock": True,
        "rating_average": 4.5,
        "rating_count": 120,
        "created_at": "2025-03-01T13:30:00.000+00:00",
        "suggest": {
            "input": ["Aurora X2 Wireless Earbuds", "X2 Wireless Earbuds", "Wireless Earbuds", "Earbuds"],
            "weight": 121,
        },
    }
    assert set(source) == set(INDEX_BODY["mappings"]["properties"])


def test_created_at_is_sent_in_utc_and_an_unrated_product_has_no_rating(
    cluster: FakeCluster, search: OpenSearchSearch
) -> None:
    paris = datetime(2025, 3, 1, 15, 30, tzinfo=timezone(timedelta(hours=1)))

    search.index([document(created_at=paris, rating_average=None, rating_count=0)])

    source = cluster.sent("POST", "/_bulk")[0].body[1]
    assert source["created_at"] == "2025-03-01T14:30:00.000+00:00"
    assert source["rating_average"] is None
    assert source["suggest"]["weight"] == 1  # never 0: Lucene would then score by prefix length alone


def test_a_version_conflict_is_an_older_version_skipped_not_a_failure(
    cluster: FakeCluster, search: OpenSearchSearch
) -> None:
    cluster.item_status["p-1"] = (409, "version_conflict_engine_exception")

    assert search.index([document("p-1", version=2), document("p-2")]) == []


def test_items_refused_for_other_reasons_are_returned_as_failed(
    cluster: FakeCluster, search: OpenSearchSearch
) -> None:
    cluster.item_status["p-1"] = (400, "mapper_parsing_exception")
    cluster.item_status["p-3"] = (500, "internal_server_error")
    cluster.item_status["p-4"] = (429, "es_rejected_execution_exception")

    failed = search.index([document(f"p-{i}") for i in range(1, 5)])

    assert failed == ["p-1", "p-3", "p-4"]


def test_documents_are_sent_in_bulk_requests_of_at_most_a_thousand(
    cluster: FakeCluster, search: OpenSearchSearch
) -> None:
    search.index(document(f"p-{i}") for i in range(2500))

    assert [len(r.body) // 2 for r in cluster.sent("POST", "/_bulk")] == [1000, 1000, 500]


def test_bulk_writes_may_take_longer_than_a_search(cluster: FakeCluster, search: OpenSearchSearch) -> None:
    search.index([document()])
    search.search(SearchQuery(text="earbuds"))

    assert cluster.sent("POST", "/_bulk")[0].timeout == 30.0
    assert cluster.client().transport.get_connection().timeout == 3.0


def test_nothing_to_write_sends_nothing(cluster: FakeCluster, search: OpenSearchSearch) -> None:
    assert search.index([]) == []
    assert search.remove([]) == []
    assert cluster.requests == []


def test_remove_sends_bulk_deletes_and_an_unknown_id_is_fine(
    cluster: FakeCluster, search: OpenSearchSearch
) -> None:
    cluster.item_status["p-gone"] = (404, "")
    cluster.item_status["p-busy"] = (429, "es_rejected_execution_exception")

    failed = search.remove(["p-1", "p-gone", "p-busy"])

    (bulk,) = cluster.requests
    assert bulk.path == "/_bulk"
    assert bulk.params["refresh"] == "wait_for"
    assert bulk.body == [
        {"delete": {"_index": INDEX, "_id": "p-1"}},
        {"delete": {"_index": INDEX, "_id": "p-gone"}},
        {"delete": {"_index": INDEX, "_id": "p-busy"}},
    ]
    assert failed == ["p-busy"]


# ---------------------------------------------------------------------- the search request
def test_text_with_every_filter_is_a_fuzzy_multi_match_with_filter_clauses_and_name_bonuses(
    cluster: FakeCluster, search: OpenSearchSearch
) -> None:
    search.search(
        SearchQuery(
            text="  wireless earbuds ",
            category_id="audio",
            min_price=2500,
            max_price=10000,
            currency="EUR",
            in_stock=True,
            seller_id="seller-1",
        )
    )

    (request,) = cluster.requests
    assert (request.method, request.path) == ("POST", f"/{INDEX}/_search")
    assert cluster.last_search()["query"] == {
        "bool": {
            "must": [
                {
                    "multi_match": {
                        "query": "wireless earbuds",
                        "type": "most_fields",
                        "fields": ["name^2", "description", "category_names"],
                        "operator": "or",
                        "fuzziness": "AUTO",
                        "prefix_length": 1,
                    }
                }
            ],
            "filter": [
                {"term": {"category_path": "audio"}},
                {"range": {"price_amount": {"gte": 2500, "lte": 10000}}},
                {"term": {"currency": "EUR"}},
                {"term": {"in_stock": True}},
                {"term": {"seller_id": "seller-1"}},
            ],
            "should": [
                {"constant_score": {"filter": {"match": {"name.exact": "wireless earbuds"}}, "boost": 4.0}},
                {"constant_score": {"filter": {"match_phrase": {"name": "wireless earbuds"}}, "boost": 1.0}},
            ],
            "minimum_should_match": 0,
        }
    }


def test_a_one_word_query_gets_the_exact_name_bonus_but_no_phrase_bonus(
    cluster: FakeCluster, search: OpenSearchSearch
) -> None:
    search.search(SearchQuery(text="earbuds"))

    assert cluster.last_search()["query"]["bool"]["should"] == [
        {"constant_score": {"filter": {"match": {"name.exact": "earbuds"}}, "boost": 4.0}}
    ]


@pytest.mark.parametrize("sort", [s for s in SearchSort if s is not SearchSort.RELEVANCE])
def test_other_sorts_score_nothing_and_get_no_bonus(
    cluster: FakeCluster, search: OpenSearchSearch, sort: SearchSort
) -> None:
    search.search(SearchQuery(text="wireless earbuds", sort=sort))

    assert "should" not in cluster.last_search()["query"]["bool"]


def test_a_query_with_an_overlong_word_is_matched_without_fuzziness(
    cluster: FakeCluster, search: OpenSearchSearch
) -> None:
    search.search(SearchQuery(text="headphones " + "x" * 31))
    search.search(SearchQuery(text="headphones " + "é" * 15))  # 30 bytes: still fuzzy
    search.search(SearchQuery(text="headphones " + "é" * 16))  # 32 bytes

    fuzzy = ["fuzziness" in r.body["query"]["bool"]["must"][0]["multi_match"] for r in cluster.requests]
    assert fuzzy == [False, True, False]


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_text_matches_everything(cluster: FakeCluster, search: OpenSearchSearch, text: str) -> None:
    search.search(SearchQuery(text=text, in_stock=False))

    assert cluster.last_search()["query"] == {
        "bool": {"must": [{"match_all": {}}], "filter": [{"term": {"in_stock": False}}]}
    }


def test_one_sided_price_ranges_are_inclusive(cluster: FakeCluster, search: OpenSearchSearch) -> None:
    search.search(SearchQuery(min_price=5000))
    search.search(SearchQuery(max_price=5000))

    bodies = [r.body["query"]["bool"]["filter"] for r in cluster.requests]
    assert bodies == [
        [{"range": {"price_amount": {"gte": 5000}}}],
        [{"range": {"price_amount": {"lte": 5000}}}],
    ]


def test_query_text_is_only_ever_the_value_of_multi_match_and_capped(
    cluster: FakeCluster, search: OpenSearchSearch
) -> None:
    text = 'name:"x" OR *:* ' + "a" * 300

    search.search(SearchQuery(text=text))

    body = json.dumps(cluster.last_search())
    assert "query_string" not in body
    assert (
        cluster.last_search()["query"]["bool"]["must"][0]["multi_match"]["query"] == text[:MAX_QUERY_LENGTH]
    )


@pytest.mark.parametrize(
    ("sort", "clauses"),
    [
        (SearchSort.RELEVANCE, [{"_score": {"order": "desc"}}]),
        (SearchSort.PRICE_ASC, [{"price_amount": {"order": "asc"}}]),
        (SearchSort.PRICE_DESC, [{"price_amount": {"order": "desc"}}]),
        (SearchSort.RATING, [{"rating_average": {"order": "desc", "missing": "_last"}}]),
        (SearchSort.NEWEST, [{"created_at": {"order": "desc"}}]),
    ],
)
def test_each_sort_ends_on_a_product_id_tiebreak(
    cluster: FakeCluster, search: OpenSearchSearch, sort: SearchSort, clauses: list[dict[str, Any]]
) -> None:
    search.search(SearchQuery(text="earbuds", sort=sort))

    assert cluster.last_search()["sort"] == [*clauses, {"product_id": {"order": "asc"}}]


def test_affinity_adds_constant_score_should_clauses_on_relevance(
    cluster: FakeCluster, search: OpenSearchSearch
) -> None:
    affinity = Affinity(categories={"audio": 0.5, "books": 1.0}, sellers={"seller-9": 0.25})

    search.search(SearchQuery(text="earbuds", affinity=affinity))

    query = cluster.last_search()["query"]["bool"]
    assert query["must"][0]["multi_match"]["query"] == "earbuds"  # still required: should only adds score
    assert query["minimum_should_match"] == 0
    assert query["should"][1:] == [
        {"constant_score": {"filter": {"term": {"category_path": "audio"}}, "boost": 1.0}},
        {"constant_score": {"filter": {"term": {"category_path": "books"}}, "boost": 2.0}},
        {"constant_score": {"filter": {"term": {"seller_id": "seller-9"}}, "boost": 0.25}},
    ]


@pytest.mark.parametrize("sort", [s for s in SearchSort if s is not SearchSort.RELEVANCE])
def test_affinity_is_ignored_by_every_other_sort(
    cluster: FakeCluster, search: OpenSearchSearch, sort: SearchSort
) -> None:
    search.search(SearchQuery(text="earbuds", sort=sort, affinity=Affinity(categories={"audio": 1.0})))

    assert "should" not in cluster.last_search()["query"]["bool"]


def test_browsing_without_text_or_affinity_adds_no_should_clause(
    cluster: FakeCluster, search: OpenSearchSearch
) -> None:
    search.search(SearchQuery())

    assert "should" not in cluster.last_search()["query"]["bool"]


def test_affinity_lifts_products_when_browsing_without_text(
    cluster: FakeCluster, search: OpenSearchSearch
) -> None:
    search.search(SearchQuery(affinity=Affinity(categories={"home": 1.0})))

    query = cluster.last_search()["query"]["bool"]
    assert query["must"] == [{"match_all": {}}]
    assert query["should"] == [
        {"constant_score": {"filter": {"term": {"category_path": "home"}}, "boost": 2.0}}
    ]


def test_an_affinity_weight_of_zero_or_less_lifts_nothing(
    cluster: FakeCluster, search: OpenSearchSearch
) -> None:
    search.search(SearchQuery(affinity=Affinity(categories={"home": 0.0}, sellers={"seller-1": -1.0})))

    assert "should" not in cluster.last_search()["query"]["bool"]


def test_total_hits_are_tracked_exactly_and_no_source_is_fetched(
    cluster: FakeCluster, search: OpenSearchSearch
) -> None:
    search.search(SearchQuery(text="earbuds"))

    body = cluster.last_search()
    assert body["track_total_hits"] is True
    assert body["_source"] is False


@pytest.mark.parametrize(("limit", "size"), [(0, 2), (-5, 2), (20, 21), (500, MAX_PAGE_SIZE + 1)])
def test_the_page_size_is_clamped_and_one_more_hit_is_asked_for(
    cluster: FakeCluster, search: OpenSearchSearch, limit: int, size: int
) -> None:
    search.search(SearchQuery(limit=limit))

    assert cluster.last_search()["size"] == size


def test_facets_are_asked_for_as_aggregations(cluster: FakeCluster, search: OpenSearchSearch) -> None:
    search.search(SearchQuery(text="earbuds"))

    aggs = cluster.last_search()["aggs"]
    assert aggs["categories"]["terms"]["field"] == "category_id"
    assert aggs["categories"]["terms"]["size"] == 20
    assert aggs["price_bands"]["range"] == {
        "field": "price_amount",
        "keyed": True,
        "ranges": [
            {"key": "under_25", "from": 0, "to": 2500},
            {"key": "25_to_50", "from": 2500, "to": 5000},
            {"key": "50_to_100", "from": 5000, "to": 10000},
            {"key": "100_to_200", "from": 10000, "to": 20000},
            {"key": "200_to_500", "from": 20000, "to": 50000},
            {"key": "500_and_up", "from": 50000},
        ],
    }
    assert aggs["ratings"]["range"] == {
        "field": "rating_average",
        "keyed": True,
        "ranges": [
            {"key": "4", "from": 4},
            {"key": "3", "from": 3},
            {"key": "2", "from": 2},
            {"key": "1", "from": 1},
        ],
    }


# ---------------------------------------------------------------------- the search answer
def test_hits_total_and_scores_are_read_from_the_answer(
    cluster: FakeCluster, search: OpenSearchSearch
) -> None:
    cluster.answer(search_response([("p-7", 3.5, [3.5, "p-7"]), ("p-2", 1.25, [1.25, "p-2"])], total=2))

    results = search.search(SearchQuery(text="earbuds"))

    assert [(h.product_id, h.score) for h in results.hits] == [("p-7", 3.5), ("p-2", 1.25)]
    assert results.total == 2
    assert results.next_cursor is None


def test_sorted_hits_have_no_score(cluster: FakeCluster, search: OpenSearchSearch) -> None:
    cluster.answer(search_response([("p-1", None, [999, "p-1"])]))

    (hit,) = search.search(SearchQuery(sort=SearchSort.PRICE_ASC)).hits

    assert hit.score is None


def test_facets_are_read_from_the_aggregations_every_band_and_threshold_included(
    cluster: FakeCluster, search: OpenSearchSearch
) -> None:
    cluster.answer(search_response(page(4), aggregations=AGGREGATIONS))

    facets = search.search(SearchQuery(text="earbuds")).facets

    assert facets.categories == (FacetCount("earbuds", 3), FacetCount("speakers", 1))
    assert facets.price_bands == (
        FacetCount("under_25", 1),
        FacetCount("25_to_50", 0),
        FacetCount("50_to_100", 2),
        FacetCount("100_to_200", 1),
        FacetCount("200_to_500", 0),
        FacetCount("500_and_up", 0),
    )
    assert facets.ratings == (FacetCount("4", 2), FacetCount("3", 3), FacetCount("2", 3), FacetCount("1", 3))


def test_bands_missing_from_the_answer_count_zero(cluster: FakeCluster, search: OpenSearchSearch) -> None:
    sparse = {
        "categories": {"buckets": []},
        "price_bands": {"buckets": [{"key": "50_to_100", "from": 5000.0, "to": 10000.0, "doc_count": 2}]},
        "ratings": {"buckets": {}},
    }
    cluster.answer(search_response([], aggregations=sparse))

    facets = search.search(SearchQuery(text="nothing")).facets

    assert facets.categories == ()
    assert [(c.key, c.count) for c in facets.price_bands] == [
        (band.key, 2 if band.key == "50_to_100" else 0) for band in PRICE_BANDS
    ]
    assert facets.ratings == (FacetCount("4", 0), FacetCount("3", 0), FacetCount("2", 0), FacetCount("1", 0))


def test_searching_before_anything_was_indexed_finds_nothing() -> None:
    cluster = FakeCluster()
    backend = OpenSearchSearch(cluster.client(), index_name=INDEX)
    cluster.answer(error_body("index_not_found_exception", INDEX, 404), status=404)

    results = backend.search(SearchQuery(text="earbuds"))

    assert (results.hits, results.total, results.next_cursor) == ((), 0, None)
    assert [c.count for c in results.facets.price_bands] == [0] * len(PRICE_BANDS)


# ---------------------------------------------------------------------- cursors
def test_the_next_page_starts_after_the_last_hit_shown(
    cluster: FakeCluster, search: OpenSearchSearch
) -> None:
    query = SearchQuery(text="earbuds", limit=3)
    cluster.answer(search_response(page(4), total=6))  # one more than the page: there is a next page

    first = search.search(query)
    cluster.answer(search_response(page(2, start=3), total=6))
    second = search.search(replace(query, cursor=first.next_cursor))

    assert [h.product_id for h in first.hits] == ["p-0", "p-1", "p-2"]
    assert first.next_cursor is not None
    assert "search_after" not in cluster.requests[0].body
    assert cluster.requests[1].body["search_after"] == [8.0, "p-2"]
    assert [h.product_id for h in second.hits] == ["p-3", "p-4"]
    assert second.next_cursor is None


def test_a_cursor_is_url_safe_and_the_same_query_keeps_the_same_shard_copies(
    cluster: FakeCluster, search: OpenSearchSearch
) -> None:
    cluster.answer(search_response(page(3)))
    cursor = search.search(SearchQuery(text="earbuds", limit=2)).next_cursor
    search.search(SearchQuery(text="earbuds", limit=2, cursor=cursor))

    assert cursor is not None
    assert cursor == base64.urlsafe_b64encode(base64.urlsafe_b64decode(cursor + "==")).decode().rstrip("=")
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    first, second = (r.params["preference"] for r in cluster.requests)
    assert first == second


def test_a_missing_rating_sorted_last_survives_the_cursor(
    cluster: FakeCluster, search: OpenSearchSearch
) -> None:
    query = SearchQuery(sort=SearchSort.RATING, limit=1)
    cluster.answer(
        search_response([("p-1", None, ["-Infinity", "p-1"]), ("p-2", None, ["-Infinity", "p-2"])])
    )

    cursor = search.search(query).next_cursor
    search.search(replace(query, cursor=cursor))

    assert cluster.requests[1].body["search_after"] == ["-Infinity", "p-1"]


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!",
        "bm90IGpzb24",  # "not json"
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
        base64.urlsafe_b64encode(b'{"a": [1, "p-1"]}').decode().rstrip("="),
        base64.urlsafe_b64encode(b'{"a": [1, "p-1"], "q": "x", "s": "relevance", "z": 1}').decode(),
    ],
)
def test_a_forged_cursor_is_invalid_and_sends_nothing(
    cluster: FakeCluster, search: OpenSearchSearch, cursor: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        search.search(SearchQuery(text="earbuds", cursor=cursor))

    assert raised.value.code == "invalid_cursor"
    assert cluster.requests == []


def test_a_garbled_cursor_is_invalid_wherever_it_was_changed(
    cluster: FakeCluster, search: OpenSearchSearch
) -> None:
    query = SearchQuery(text="earbuds", limit=1)
    cluster.answer(search_response(page(2)))
    cursor = search.search(query).next_cursor
    assert cursor is not None
    garbled = [cursor + "!", cursor + "A", cursor[:-2], "%" + cursor]
    garbled += [cursor[:i] + ("B" if cursor[i] != "B" else "C") + cursor[i + 1 :] for i in range(len(cursor))]

    for bad in garbled:
        with pytest.raises(InvalidInput) as raised:
            search.search(replace(query, cursor=bad))
        assert raised.value.code == "invalid_cursor", bad
    assert len(cluster.requests) == 1


def test_a_cursor_made_for_another_sort_is_invalid(cluster: FakeCluster, search: OpenSearchSearch) -> None:
    cluster.answer(search_response([("p-1", None, [999, "p-1"]), ("p-2", None, [1999, "p-2"])]))
    cursor = search.search(SearchQuery(text="earbuds", sort=SearchSort.PRICE_ASC, limit=1)).next_cursor

    with pytest.raises(InvalidInput) as raised:
        search.search(SearchQuery(text="earbuds", sort=SearchSort.PRICE_DESC, cursor=cursor))

    assert raised.value.code == "invalid_cursor"


@pytest.mark.parametrize(
    "other",
    [
        SearchQuery(text="speakers"),
        SearchQuery(text="earbuds", category_id="audio"),
        SearchQuery(text="earbuds", max_price=5000),
        SearchQuery(text="earbuds", affinity=Affinity(sellers={"seller-1": 1.0})),
    ],
)
def test_a_cursor_made_for_another_query_is_invalid(
    cluster: FakeCluster, search: OpenSearchSearch, other: SearchQuery
) -> None:
    cluster.answer(search_response(page(2)))
    cursor = search.search(SearchQuery(text="earbuds", limit=1)).next_cursor

    with pytest.raises(InvalidInput) as raised:
        search.search(replace(other, cursor=cursor))

    assert raised.value.code == "invalid_cursor"


def test_a_cursor_whose_sort_values_were_tampered_with_is_invalid(
    cluster: FakeCluster, search: OpenSearchSearch
) -> None:
    query = SearchQuery(sort=SearchSort.PRICE_ASC, limit=1)
    cluster.answer(search_response([("p-1", None, [999, "p-1"]), ("p-2", None, [1999, "p-2"])]))
    cursor = search.search(query).next_cursor
    assert cursor is not None
    state = json.loads(base64.urlsafe_b64decode(cursor + "=="))
    sent = len(cluster.requests)

    for after in (["999; drop", "p-1"], [999], [999, "p-1", "extra"], [True, "p-1"], [999, 5]):
        forged = base64.urlsafe_b64encode(json.dumps(state | {"a": after}).encode()).decode().rstrip("=")
        with pytest.raises(InvalidInput) as raised:
            search.search(replace(query, cursor=forged))
        assert raised.value.code == "invalid_cursor"
    assert len(cluster.requests) == sent


# ---------------------------------------------------------------------- suggestions
def test_suggest_asks_the_fuzzy_completion_suggester(cluster: FakeCluster, search: OpenSearchSearch) -> None:
    search.suggest("  earb ", limit=5)

    (request,) = cluster.requests
    assert (request.method, request.path) == ("POST", f"/{INDEX}/_search")
    assert request.body == {
        "_source": ["name"],
        "suggest": {
            "products": {
                "prefix": "earb",
                "completion": {
                    "field": "suggest",
                    "size": 10,
                    "skip_duplicates": False,
                    "fuzzy": {"fuzziness": 1, "prefix_length": 1},
                },
            }
        },
    }


def test_a_suggestion_is_the_whole_product_name_not_the_matched_suffix(
    cluster: FakeCluster, search: OpenSearchSearch
) -> None:
    cluster.answer(
        suggest_response(
            [("Earbuds", "p-1", "Aurora X2 Wireless Earbuds"), ("Earbuds Case", "p-2", "Nimbus Earbuds Case")]
        )
    )

    assert search.suggest("earb") == [
        Suggestion(text="Aurora X2 Wireless Earbuds", product_id="p-1"),
        Suggestion(text="Nimbus Earbuds Case", product_id="p-2"),
    ]


def test_a_name_shared_by_several_products_is_suggested_once_and_the_limit_holds(
    cluster: FakeCluster, search: OpenSearchSearch
) -> None:
    cluster.answer(
        suggest_response(
            [
                ("USB-C Cable", "p-1", "USB-C Cable"),
                ("USB-C Cable", "p-2", "usb-c cable"),
                ("USB-C Hub", "p-3", "USB-C Hub"),
                ("USB-C Charger", "p-4", "USB-C Charger"),
            ]
        )
    )

    assert search.suggest("usb", limit=2) == [
        Suggestion(text="USB-C Cable", product_id="p-1"),
        Suggestion(text="USB-C Hub", product_id="p-3"),
    ]


@pytest.mark.parametrize("prefix", ["", "   ", "\t\n", "!!", "🎧", "x" * 101])
def test_a_prefix_with_nothing_to_complete_suggests_nothing_without_asking(
    cluster: FakeCluster, search: OpenSearchSearch, prefix: str
) -> None:
    assert search.suggest(prefix) == []
    assert cluster.requests == []


def test_suggesting_before_anything_was_indexed_suggests_nothing(
    cluster: FakeCluster, search: OpenSearchSearch
) -> None:
    cluster.answer(error_body("index_not_found_exception", INDEX, 404), status=404)

    assert search.suggest("earb") == []


# ---------------------------------------------------------------------- failures
def test_a_cluster_that_cannot_be_reached_is_a_dependency_failure_after_two_retries(
    cluster: FakeCluster, search: OpenSearchSearch
) -> None:
    for _ in range(3):
        cluster.fail(
            OpenSearchConnectionError("N/A", "Connection refused", OSError(111, "Connection refused"))
        )

    with pytest.raises(DependencyFailure) as raised:
        search.search(SearchQuery(text="earbuds"))

    assert raised.value.code == "search_unavailable"
    assert len(cluster.requests) == 3


def test_a_dropped_connection_is_retried(cluster: FakeCluster, search: OpenSearchSearch) -> None:
    cluster.fail(OpenSearchConnectionError("N/A", "Connection reset by peer", OSError(104, "reset")))
    cluster.answer(search_response(page(1)))

    assert [h.product_id for h in search.search(SearchQuery(text="earbuds")).hits] == ["p-0"]
    assert len(cluster.requests) == 2


def test_a_timeout_is_a_dependency_failure_without_a_retry(
    cluster: FakeCluster, search: OpenSearchSearch
) -> None:
    cluster.fail(ConnectionTimeout("TIMEOUT", "Read timed out. (read timeout=3.0)", TimeoutError()))

    with pytest.raises(DependencyFailure):
        search.search(SearchQuery(text="earbuds"))

    assert len(cluster.requests) == 1


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_an_overloaded_or_failing_cluster_is_a_dependency_failure_without_a_retry(
    cluster: FakeCluster, search: OpenSearchSearch, status: int
) -> None:
    cluster.answer(error_body("cluster_block_exception", INDEX, status), status=status)

    with pytest.raises(DependencyFailure):
        search.search(SearchQuery(text="earbuds"))

    assert len(cluster.requests) == 1


def test_writes_to_an_unreachable_cluster_are_a_dependency_failure(
    cluster: FakeCluster, search: OpenSearchSearch
) -> None:
    cluster.fail(ConnectionTimeout("TIMEOUT", "Read timed out.", TimeoutError()))

    with pytest.raises(DependencyFailure):
        search.index([document()])
    cluster.answer(error_body("unavailable_shards_exception", INDEX, 503), status=503)
    with pytest.raises(DependencyFailure):
        search.remove(["p-1"])


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_identity_is_a_configuration_error(
    cluster: FakeCluster, search: OpenSearchSearch, status: int
) -> None:
    cluster.answer({"message": "The security token included in the request is invalid."}, status=status)

    with pytest.raises(ConfigurationError):
        search.search(SearchQuery(text="earbuds"))


def test_a_request_the_cluster_cannot_parse_is_a_bug_and_raised_as_is(
    cluster: FakeCluster, search: OpenSearchSearch
) -> None:
    cluster.answer(error_body("parsing_exception", INDEX, 400), status=400)

    with pytest.raises(RequestError):
        search.search(SearchQuery(text="earbuds"))


def test_suggest_on_an_unreachable_cluster_is_a_dependency_failure(
    cluster: FakeCluster, search: OpenSearchSearch
) -> None:
    cluster.fail(ConnectionTimeout("TIMEOUT", "Read timed out.", TimeoutError()))

    with pytest.raises(DependencyFailure):
        search.suggest("earb")


# ---------------------------------------------------------------------- the client
@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIATESTTESTTESTTEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "token")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def connection_of(client: OpenSearch) -> Any:
    return client.transport.get_connection()


@pytest.mark.usefixtures("aws_credentials")
def test_an_amazon_opensearch_domain_gets_a_sigv4_signed_client_for_its_region() -> None:
    client = opensearch_client("https://search-shop-abc123.eu-west-1.es.amazonaws.com")

    connection = connection_of(client)
    assert isinstance(connection.http_auth, Urllib3AWSV4SignerAuth)
    assert connection.http_auth.service == "es"
    assert connection.http_auth.signer.region == "eu-west-1"
    assert connection.host == "https://search-shop-abc123.eu-west-1.es.amazonaws.com:443"
    assert connection.timeout == 3.0
    signed = connection.http_auth("GET", f"{connection.host}/products/_search", None)
    assert (
        signed["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIATESTTESTTESTTEST/")
        and "/eu-west-1/es/aws4_request" in signed["Authorization"]
    )


@pytest.mark.usefixtures("aws_credentials")
def test_a_serverless_collection_is_signed_for_aoss_in_the_region_its_host_names() -> None:
    client = opensearch_client("https://abc123xyz.us-west-2.aoss.amazonaws.com", region="eu-central-1")

    auth = connection_of(client).http_auth
    assert isinstance(auth, Urllib3AWSV4SignerAuth)
    assert auth.service == "aoss"
    assert auth.signer.region == "us-west-2"


@pytest.mark.usefixtures("aws_credentials")
def test_a_host_that_names_no_region_is_signed_for_the_given_one() -> None:
    auth = connection_of(opensearch_client("https://shop.es.amazonaws.com", region="eu-central-1")).http_auth

    assert auth.signer.region == "eu-central-1"


def test_an_amazon_host_without_credentials_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)

    with pytest.raises(ConfigurationError):
        opensearch_client("https://search-shop-abc123.eu-west-1.es.amazonaws.com")


def test_a_local_cluster_gets_a_plain_client() -> None:
    client = opensearch_client("http://localhost:9200")

    connection = connection_of(client)
    assert connection.http_auth is None
    assert "authorization" not in connection.headers
    assert connection.host == "http://localhost:9200"
    assert connection.use_ssl is False
    assert client.transport.max_retries == 2
    assert client.transport.retry_on_timeout is False
    assert tuple(client.transport.retry_on_status) == ()


def test_a_user_in_the_url_is_sent_as_basic_auth() -> None:
    client = opensearch_client("https://admin:s%40cret@search.example.com:9200/prefix")

    connection = connection_of(client)
    assert connection.headers["authorization"] == "Basic " + base64.b64encode(b"admin:s@cret").decode()
    assert connection.host == "https://search.example.com:9200"
    assert connection.url_prefix == "/prefix"


@pytest.mark.parametrize("url", ["localhost:9200", "ftp://localhost", "https://"])
def test_a_url_that_is_not_http_is_a_configuration_error(url: str) -> None:
    with pytest.raises(ConfigurationError):
        opensearch_client(url)
