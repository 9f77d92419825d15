"""Bulk product import: rows from CSV or JSON, validated with the API's own request model
(``ProductCreate``), so a row the CLI accepts is one the API would accept too.

Reading and validating are pure (``read_rows``, ``validate``); ``plan`` and ``ProductImport`` talk to
the catalogue and inventory services. A re-run is idempotent: a row whose seller already lists a
product of that name is skipped (and given its stock if the first run stopped before that).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from commerce.api.schemas.catalog import ProductCreate
from commerce.catalog.service import CatalogService, NewProduct
from commerce.errors import CommerceError
from commerce.identity import Principal
from commerce.inventory.service import InventoryService

__all__ = [
    "COLUMNS",
    "REQUIRED_COLUMNS",
    "ImportFileError",
    "ImportOutcome",
    "ImportRow",
    "Plan",
    "ProductImport",
    "RawRow",
    "RowProblem",
    "plan",
    "read_rows",
    "validate",
]

COLUMNS = ("name", "description", "price_amount", "currency", "category", "seller", "stock")
REQUIRED_COLUMNS = frozenset({"name", "price_amount", "currency", "category", "seller"})

#: Where each field of ``ProductCreate`` comes from in a row.
_COLUMN_OF_FIELD = {
    ("name",): "name",
    ("description",): "description",
    ("price",): "price_amount",
    ("price", "amount"): "price_amount",
    ("price", "currency"): "currency",
    ("category_id",): "category",
    ("seller_id",): "seller",
}
_WHOLE_NUMBER = re.compile(r"^\s*-?\d+\s*$")


class ImportFileError(Exception):
    """The file as a whole cannot be imported (unreadable, not CSV or JSON, columns missing)."""


@dataclass(frozen=True)
class RawRow:
    line: int
    values: dict[str, Any]


@dataclass(frozen=True)
class RowProblem:
    line: int
    column: str
    message: str


@dataclass(frozen=True)
class ImportRow:
    line: int
    draft: NewProduct
    seller_id: str
    stock: int | None

    @property
    def key(self) -> tuple[str, str]:
        return (self.seller_id, self.draft.name.casefold())


# ---------------------------------------------------------------------------------------------- reading
def read_rows(path: Path) -> list[RawRow]:
    """Rows with the line each starts on: CSV with a header line, or a JSON array of objects."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ImportFileError(f"Cannot read {path}: {error}") from None
    if path.suffix.lower() == ".json" or (path.suffix.lower() != ".csv" and text.lstrip().startswith("[")):
        return _json_rows(text)
    return _csv_rows(text)


def _csv_rows(text: str) -> list[RawRow]:
    reader = csv.reader(text.splitlines(keepends=True))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise ImportFileError("The file is empty: a header line naming the columns comes first.") from None
    except csv.Error as error:
        raise ImportFileError(f"Line 1 is not CSV: {error}") from None
    unknown = sorted(set(header) - set(COLUMNS) - {""})
    missing = sorted(REQUIRED_COLUMNS - set(header))
    if unknown or missing:
        parts = []
        if missing:
            parts.append(f"missing columns: {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown columns: {', '.join(unknown)}")
        raise ImportFileError(f"{'; '.join(parts)} (the columns are {', '.join(COLUMNS)}).")
    rows: list[RawRow] = []
    line = reader.line_num + 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                values: dict[str, Any] = dict(zip(header, cells, strict=False))
                if len(cells) > len(header):
                    values["__extra__"] = cells[len(header) :]
                rows.append(RawRow(line, values))
            line = reader.line_num + 1
    except csv.Error as error:
        raise ImportFileError(f"Line {line} is not valid CSV: {error}") from None
    return rows


def _json_rows(text: str) -> list[RawRow]:
    """The array's objects, each with the line it starts on (so problems name lines, as for CSV)."""
    decoder = json.JSONDecoder()
    position = _skip_space(text, 0)
    if position >= len(text) or text[position] != "[":
        raise ImportFileError("A JSON import is an array of objects: [{...}, {...}].")
    position = _skip_space(text, position + 1)
    rows: list[RawRow] = []
    if position < len(text) and text[position] == "]":
        return rows
    while True:
        line = text.count("\n", 0, position) + 1
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise ImportFileError(f"Line {error.lineno} is not valid JSON: {error.msg}.") from None
        if not isinstance(value, dict):
            raise ImportFileError(f"Line {line}: each item of the array is an object of columns.")
        rows.append(RawRow(line, {str(key).lower(): item for key, item in value.items()}))
        position = _skip_space(text, position)
        if position < len(text) and text[position] == ",":
            position = _skip_space(text, position + 1)
            continue
        if position < len(text) and text[position] == "]":
            return rows
        raise ImportFileError(f"Line {text.count(chr(10), 0, position) + 1}: expected ',' or ']'.")


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    return position


# ---------------------------------------------------------------------------------------------- validating
Resolve = Callable[[str], str]
"""Turns a category (id or slug) or seller (email or id) into an id; raises ``LookupError(why)``."""


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _whole_number(value: Any) -> Any:
    """CSV cells are text; "1999" becomes 1999, anything else is left for the model to refuse."""
    if isinstance(value, str) and _WHOLE_NUMBER.match(value):
        return int(value)
    return value


def _column(location: tuple[int | str, ...]) -> str:
    for size in (2, 1):
        column = _COLUMN_OF_FIELD.get(tuple(str(part) for part in location[:size]))
        if column is not None:
            return column
    return ".".join(str(part) for part in location) or "row"


def _validate_row(raw: RawRow, categories: Resolve, sellers: Resolve) -> ImportRow | list[RowProblem]:
    values = raw.values
    problems = (
        [RowProblem(raw.line, "row", f"{len(values['__extra__'])} cell(s) more than the header")]
        if ("__extra__" in values)
        else []
    )
    problems += [
        RowProblem(raw.line, name, "unknown column")
        for name in sorted(set(values) - set(COLUMNS) - {"__extra__"})
    ]
    problems += [
        RowProblem(raw.line, name, "required")
        for name in sorted(REQUIRED_COLUMNS)
        if _blank(values.get(name))
    ]
    references: dict[str, str] = {}
    for column, resolve in (("category", categories), ("seller", sellers)):
        if not _blank(values.get(column)):
            try:
                references[column] = resolve(str(values[column]).strip())
            except LookupError as why:
                problems.append(RowProblem(raw.line, column, str(why.args[0] if why.args else why)))
    stock: int | None = None
    if not _blank(values.get("stock")):
        parsed = _whole_number(values["stock"])
        if isinstance(parsed, int) and not isinstance(parsed, bool) and parsed >= 0:
            stock = parsed
        else:
            problems.append(RowProblem(raw.line, "stock", "a whole number of units, 0 or more"))
    if any(problem.column in {"name", "price_amount", "currency"} for problem in problems):
        return problems  # the model would only repeat these
    body: dict[str, Any] = {
        "name": values.get("name"),
        "description": values.get("description") or "",
        "price": {"amount": _whole_number(values.get("price_amount")), "currency": values.get("currency")},
        "category_id": references.get("category", "00000000000000000000000000"),
        "seller_id": references.get("seller", "unresolved"),
    }
    try:
        request = ProductCreate.model_validate(body)
    except ValidationError as error:
        problems += [
            RowProblem(raw.line, _column(tuple(detail["loc"])), str(detail["msg"]))
            for detail in error.errors()
        ]
    if problems:
        return problems
    draft = request.to_domain()
    return ImportRow(raw.line, draft, references["seller"], stock)


def validate(
    rows: Iterable[RawRow], categories: Resolve, sellers: Resolve
) -> tuple[list[ImportRow], list[RowProblem]]:
    """The rows that can be imported, and every problem of the others, by line."""
    good: list[ImportRow] = []
    problems: list[RowProblem] = []
    first_line: dict[tuple[str, str], int] = {}
    for raw in rows:
        checked = _validate_row(raw, categories, sellers)
        if isinstance(checked, list):
            problems += checked
            continue
        earlier = first_line.setdefault(checked.key, checked.line)
        if earlier != checked.line:
            problems.append(
                RowProblem(raw.line, "name", f"the same product as line {earlier} (seller and name)")
            )
            continue
        good.append(checked)
    return good, problems


# ---------------------------------------------------------------------------------------------- importing
@dataclass
class Plan:
    """What an import will do: create these rows; skip those already listed (by product id)."""

    create: list[ImportRow] = field(default_factory=list)
    existing: list[tuple[ImportRow, str]] = field(default_factory=list)


def _listed_names(catalog: CatalogService, seller_id: str) -> dict[str, str]:
    """The seller's active products, name (case-folded) -> product id."""
    names: dict[str, str] = {}
    cursor: str | None = None
    while True:
        page = catalog.list_products(None, seller_id, cursor, 100)
        for product in page.items:
            names.setdefault(product.name.casefold(), product.product_id)
        if page.next_cursor is None:
            return names
        cursor = page.next_cursor


def plan(catalog: CatalogService, rows: Iterable[ImportRow]) -> Plan:
    result = Plan()
    listed: dict[str, dict[str, str]] = {}
    for row in rows:
        if row.seller_id not in listed:
            listed[row.seller_id] = _listed_names(catalog, row.seller_id)
        product_id = listed[row.seller_id].get(row.draft.name.casefold())
        if product_id is None:
            result.create.append(row)
        else:
            result.existing.append((row, product_id))
    return result


@dataclass(frozen=True)
class ImportOutcome:
    line: int
    name: str
    action: str  # created | skipped | stocked | failed | rolled_back
    product_id: str | None = None
    detail: str = ""


@dataclass
class ProductImport:
    catalog: CatalogService
    inventory: InventoryService
    principal: Principal

    def _stock_missing(self, product_id: str) -> bool:
        return not self.inventory.level(product_id).warehouses

    def run(
        self, work: Plan, all_or_nothing: bool, advance: Callable[[], None] = lambda: None
    ) -> Iterator[ImportOutcome]:
        """Create each new product and set its stock, one at a time, then give stock to products a
        previous run created without it. With ``all_or_nothing``, the first failure archives what
        this run created and stops."""
        created: list[tuple[str, ImportRow]] = []
        for row in work.create:
            outcome = self._create(row, created)
            yield outcome
            if outcome.action == "failed" and all_or_nothing:
                yield from self._roll_back(created)
                return
            advance()
        for row, product_id in work.existing:
            if row.stock is not None and self._stock_missing(product_id):
                self.inventory.set_available(self.principal, product_id, row.stock)
                yield ImportOutcome(row.line, row.draft.name, "stocked", product_id, f"stock {row.stock}")
            else:
                yield ImportOutcome(row.line, row.draft.name, "skipped", product_id, "already listed")
            advance()

    def _create(self, row: ImportRow, created: list[tuple[str, ImportRow]]) -> ImportOutcome:
        try:
            product = self.catalog.create_product(self.principal, row.draft)
        except CommerceError as error:
            return ImportOutcome(row.line, row.draft.name, "failed", None, f"{error.code}: {error.detail}")
        created.append((product.product_id, row))
        if row.stock is None:
            return ImportOutcome(row.line, row.draft.name, "created", product.product_id)
        try:
            self.inventory.set_available(self.principal, product.product_id, row.stock)
        except CommerceError as error:
            # A re-run skips the product (it is listed) and sets this stock (it finds none).
            detail = f"created without its stock ({error.code}: {error.detail}); run the import again"
            return ImportOutcome(row.line, row.draft.name, "failed", product.product_id, detail)
        return ImportOutcome(row.line, row.draft.name, "created", product.product_id, f"stock {row.stock}")

    def _roll_back(self, created: list[tuple[str, ImportRow]]) -> Iterator[ImportOutcome]:
        """Archive what this run created (products are never deleted; archived ones are unlisted)."""
        for product_id, row in created:
            self.catalog.archive_product(self.principal, product_id)
            yield ImportOutcome(row.line, row.draft.name, "rolled_back", product_id, "archived")
