"""Discovery API: search with facets, autocomplete, trending products and recommendations.

Search and autocomplete are public; a signed-in customer's results are ranked with their
tastes in mind (the token is checked here, since the route has no authorizer).
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from commerce.api.auth import optional_principal, principal
from commerce.api.caching import conditional_reply
from commerce.api.http import create_resolver, lambda_handler
from commerce.api.schemas.catalog import ProductOut
from commerce.api.schemas.search import ProductListOut, SearchResultsOut, SuggestionOut, SuggestionsOut
from commerce.bootstrap import catalog_service, recommendation_service, search_service
from commerce.clock import system_clock
from commerce.identity import Role
from commerce.ids import ULID_PATTERN
from commerce.search.model import MAX_PAGE_SIZE, MAX_QUERY_LENGTH, SearchQuery, SearchSort

logger = Logger(service="search")
app = create_resolver(logger)

#: Results change as products and stock change: a minute in a browser or the CDN.
SEARCH_MAX_AGE = 60
SUGGEST_MAX_AGE = 300
#: Trending is recomputed hourly.
TRENDING_MAX_AGE = 600
#: Recommendations are kept 6 hours on the server; the browser re-asks after 5 minutes, so a
#: new order's effect (it clears the server copy) shows soon.
RECOMMENDATIONS_MAX_AGE = 300


@app.get("/v1/search", tags=["search"], summary="Search products, with facets; personalised when signed in")
def search(
    q: Annotated[
        str, Query(max_length=MAX_QUERY_LENGTH, description="Words to look for; empty browses.")
    ] = "",
    category: Annotated[
        str | None, Query(pattern=ULID_PATTERN, description="Includes sub-categories.")
    ] = None,
    min_price: Annotated[int | None, Query(ge=0, description="Minor units, inclusive.")] = None,
    max_price: Annotated[int | None, Query(ge=0, description="Minor units, inclusive.")] = None,
    currency: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
    in_stock: Annotated[bool | None, Query(description="true: only what can be bought now.")] = None,
    sort: Annotated[SearchSort, Query()] = SearchSort.RELEVANCE,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
) -> Response[SearchResultsOut]:
    caller = optional_principal(app)
    customer_id = caller.user_id if caller is not None and caller.has(Role.CUSTOMER) else None
    query = SearchQuery(
        text=q,
        category_id=category,
        min_price=min_price,
        max_price=max_price,
        currency=currency,
        in_stock=in_stock,
        sort=sort,
        cursor=cursor,
        limit=limit,
    )
    page = search_service().search(query, customer_id)
    body = SearchResultsOut.of(page, catalog_service().category_tree())
    return conditional_reply(app, body, max_age=SEARCH_MAX_AGE, private=page.personalised)


@app.get("/v1/search/suggest", tags=["search"], summary="Autocomplete product names")
def suggest(
    q: Annotated[str, Query(max_length=100, description="What has been typed so far.")] = "",
    limit: Annotated[int, Query(ge=1, le=20)] = 10,
) -> Response[SuggestionsOut]:
    body = SuggestionsOut(items=[SuggestionOut.of(s) for s in search_service().suggest(q, limit)])
    return conditional_reply(app, body, max_age=SUGGEST_MAX_AGE)


def _products(product_ids: list[str]) -> ProductListOut:
    found = catalog_service().active_products(product_ids)
    return ProductListOut(items=[ProductOut.of(found[p]) for p in product_ids if p in found])


@app.get("/v1/products/trending", tags=["search"], summary="What sells and is looked at most, hourly")
def trending(limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20) -> Response[ProductListOut]:
    body = _products(recommendation_service().trending(limit))
    return conditional_reply(app, body, max_age=TRENDING_MAX_AGE)


@app.get("/v1/recommendations", tags=["search"], summary="Products picked for the signed-in customer")
def recommendations(limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 10) -> Response[ProductListOut]:
    caller = principal(app)
    caller.require(Role.CUSTOMER)
    picked = recommendation_service().recommendations_for(caller.user_id, system_clock(), limit)
    return conditional_reply(app, _products(picked), max_age=RECOMMENDATIONS_MAX_AGE, private=True)


handler = lambda_handler(app, logger)
