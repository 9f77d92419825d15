"""Request and response shapes of the catalogue API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from commerce.api.schemas.common import LongText, MoneyModel, Name, RequestModel, Schema, ShortText
from commerce.catalog.model import Category, CategoryNode, Product, ProductImage
from commerce.catalog.service import NewProduct
from commerce.ids import ULID_PATTERN

__all__ = [
    "CategoryCreate",
    "CategoryDetail",
    "CategoryNodeOut",
    "CategoryOut",
    "CategoryPatch",
    "CategoryTreeOut",
    "ImageModel",
    "ProductCreate",
    "ProductOut",
    "ProductPage",
    "ProductPatch",
    "RatingOut",
]

Id = Annotated[str, StringConstraints(strip_whitespace=True, pattern=ULID_PATTERN)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=80)]
Url = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^https?://\S+$", max_length=2048)]
SellerId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


# ---------------------------------------------------------------------- categories
class CategoryCreate(RequestModel):
    name: ShortText = Field(examples=["Headphones"])
    parent_id: Id | None = Field(default=None, description="Omit for a top-level category.")
    slug: Slug | None = Field(default=None, description="Defaults to one made from the name.")


class CategoryPatch(RequestModel):
    name: ShortText


class CategoryOut(Schema):
    category_id: str
    name: str
    slug: str
    parent_id: str | None

    @classmethod
    def of(cls, category: Category) -> CategoryOut:
        return cls(
            category_id=category.category_id,
            name=category.name,
            slug=category.slug,
            parent_id=category.parent_id,
        )


class CategoryNodeOut(CategoryOut):
    children: list[CategoryNodeOut]

    @classmethod
    def of_node(cls, node: CategoryNode) -> CategoryNodeOut:
        base = CategoryOut.of(node.category)
        return cls(**base.model_dump(), children=[cls.of_node(child) for child in node.children])


class CategoryTreeOut(Schema):
    items: list[CategoryNodeOut]


class CategoryDetail(CategoryOut):
    path: list[CategoryOut] = Field(description="Ancestors from the root down to this category.")
    children: list[CategoryOut]


# ---------------------------------------------------------------------- products
class ImageModel(RequestModel):
    thumbnail: Url
    medium: Url
    large: Url
    zoom: Url
    alt: ShortText | None = None

    def to_domain(self) -> ProductImage:
        return ProductImage(self.thumbnail, self.medium, self.large, self.zoom, self.alt)

    @classmethod
    def of(cls, image: ProductImage) -> ImageModel:
        return cls(
            thumbnail=image.thumbnail, medium=image.medium, large=image.large, zoom=image.zoom, alt=image.alt
        )


class ProductCreate(RequestModel):
    name: Name = Field(examples=["Aurora X2 Wireless Earbuds"])
    description: LongText = ""
    price: MoneyModel
    category_id: Id
    images: list[ImageModel] = Field(default_factory=list, max_length=10)
    seller_id: SellerId | None = Field(default=None, description="Admins only: list for this seller.")

    def to_domain(self) -> NewProduct:
        return NewProduct(
            name=self.name,
            description=self.description,
            price=self.price.to_domain(),
            category_id=self.category_id,
            images=tuple(image.to_domain() for image in self.images),
            seller_id=self.seller_id,
        )


class ProductPatch(RequestModel):
    name: Name | None = None
    description: LongText | None = None
    price: MoneyModel | None = None
    category_id: Id | None = None
    images: list[ImageModel] | None = Field(default=None, max_length=10)

    @model_validator(mode="after")
    def _meaningful(self) -> ProductPatch:
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        for name in self.model_fields_set:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def changes(self) -> dict[str, object]:
        changes: dict[str, object] = {}
        for name in self.model_fields_set:
            if name == "price" and self.price is not None:
                changes["price"] = self.price.to_domain()
            elif name == "images" and self.images is not None:
                changes["images"] = tuple(image.to_domain() for image in self.images)
            else:
                changes[name] = getattr(self, name)
        return changes


class RatingOut(Schema):
    average: float | None
    count: int


class ProductOut(Schema):
    product_id: str
    seller_id: str
    name: str
    description: str
    price: MoneyModel
    category_id: str
    images: list[ImageModel]
    rating: RatingOut
    status: Literal["active", "archived"]
    availability: Literal["in_stock", "low_stock", "out_of_stock"]
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, product: Product) -> ProductOut:
        return cls(
            product_id=product.product_id,
            seller_id=product.seller_id,
            name=product.name,
            description=product.description,
            price=MoneyModel.of(product.price),
            category_id=product.category_id,
            images=[ImageModel.of(image) for image in product.images],
            rating=RatingOut(average=product.rating_average, count=product.rating_count),
            status=product.status.value,
            availability=product.availability.value,
            version=product.version,
            created_at=product.created_at,
            updated_at=product.updated_at,
        )


class ProductPage(Schema):
    items: list[ProductOut]
    next_cursor: str | None
