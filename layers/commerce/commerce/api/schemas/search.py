"""Response shapes of search, autocomplete, trending and recommendations."""

from __future__ import annotations

from pydantic import Field

from commerce.api.schemas.catalog import ProductOut
from commerce.api.schemas.common import Schema
from commerce.catalog.model import CategoryTree
from commerce.search.model import PRICE_BANDS, Facets, Suggestion
from commerce.search.service import SearchPage

__all__ = [
    "CategoryFacetOut",
    "FacetsOut",
    "PriceBandFacetOut",
    "ProductListOut",
    "RatingFacetOut",
    "SearchResultsOut",
    "SuggestionOut",
    "SuggestionsOut",
]


class CategoryFacetOut(Schema):
    category_id: str
    name: str | None = Field(description="None if the category has since been deleted.")
    count: int


class PriceBandFacetOut(Schema):
    key: str = Field(examples=["25_to_50"])
    min_amount: int = Field(description="Inclusive, in minor units.")
    max_amount: int | None = Field(description="Exclusive, in minor units; None: no upper bound.")
    count: int


class RatingFacetOut(Schema):
    min_rating: int = Field(description="Products averaging at least this many stars.")
    count: int


class FacetsOut(Schema):
    categories: list[CategoryFacetOut]
    price_bands: list[PriceBandFacetOut]
    ratings: list[RatingFacetOut]

    @classmethod
    def of(cls, facets: Facets, tree: CategoryTree) -> FacetsOut:
        bands = {band.key: band for band in PRICE_BANDS}
        return cls(
            categories=[
                CategoryFacetOut(
                    category_id=f.key, name=tree.get(f.key).name if f.key in tree else None, count=f.count
                )
                for f in facets.categories
            ],
            price_bands=[
                PriceBandFacetOut(
                    key=f.key,
                    min_amount=bands[f.key].min_amount,
                    max_amount=bands[f.key].max_amount,
                    count=f.count,
                )
                for f in facets.price_bands
                if f.key in bands
            ],
            ratings=[RatingFacetOut(min_rating=int(f.key), count=f.count) for f in facets.ratings],
        )


class SearchResultsOut(Schema):
    items: list[ProductOut]
    total: int = Field(description="How many products match, over all pages.")
    next_cursor: str | None
    personalised: bool = Field(description="Ranked with the signed-in customer's tastes in mind.")
    facets: FacetsOut

    @classmethod
    def of(cls, page: SearchPage, tree: CategoryTree) -> SearchResultsOut:
        return cls(
            items=[ProductOut.of(p) for p in page.products],
            total=page.total,
            next_cursor=page.next_cursor,
            personalised=page.personalised,
            facets=FacetsOut.of(page.facets, tree),
        )


class SuggestionOut(Schema):
    text: str
    product_id: str

    @classmethod
    def of(cls, suggestion: Suggestion) -> SuggestionOut:
        return cls(text=suggestion.text, product_id=suggestion.product_id)


class SuggestionsOut(Schema):
    items: list[SuggestionOut]


class ProductListOut(Schema):
    items: list[ProductOut]
