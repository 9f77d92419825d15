"""Specification of the product import's reading and validation: rows keep the line they start on,
and every problem names its line and column, with the API's own rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from commerce.money import Money
from commerce_admin.products import ImportFileError, RawRow, read_rows, validate

CATEGORY = "01J9Z3K8Q4W5E6R7T8Y9V0X1M2"
SELLER = "seller-0001"


def categories(value: str) -> str:
    if value in {CATEGORY, "audio"}:
        return CATEGORY
    raise LookupError(f"no category has the id or slug {value!r}")


def sellers(value: str) -> str:
    if value in {SELLER, "shop@example.com"}:
        return SELLER
    raise LookupError(f"no account has the email or id {value!r}")


def row(line: int = 2, **values: object) -> RawRow:
    base: dict[str, object] = {
        "name": "Aurora Earbuds",
        "description": "Wireless",
        "price_amount": "7999",
        "currency": "USD",
        "category": "audio",
        "seller": "shop@example.com",
    }
    base.update(values)
    return RawRow(line, base)


def problems_of(*rows: RawRow) -> list[tuple[int, str, str]]:
    _, problems = validate(rows, categories, sellers)
    return [(problem.line, problem.column, problem.message) for problem in problems]


# ---------------------------------------------------------------------------------------------- reading
def test_csv_rows_keep_the_line_they_start_on_even_after_a_multi_line_cell(tmp_path: Path) -> None:
    path = tmp_path / "products.csv"
    path.write_text(
        'name,price_amount,currency,category,seller\n"Two\nlines",1,USD,audio,x\n\nThird,2,USD,audio,x\n'
    )

    rows = read_rows(path)

    assert [(r.line, r.values["name"]) for r in rows] == [(2, "Two\nlines"), (5, "Third")]


def test_json_rows_keep_the_line_their_object_starts_on(tmp_path: Path) -> None:
    path = tmp_path / "products.json"
    path.write_text(json.dumps([{"name": "A"}, {"Name": "B"}], indent=2))

    rows = read_rows(path)

    assert [(r.line, r.values) for r in rows] == [(2, {"name": "A"}), (5, {"name": "B"})]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("empty.csv", "", "empty"),
        ("columns.csv", "name,price\nX,1\n", "missing columns: category, currency, price_amount, seller"),
        ("object.json", '{"name": "X"}', "array of objects"),
        ("numbers.json", "[1, 2]", "Line 1: each item"),
        ("broken.json", '[\n{"name": "X"},\n{"name": }\n]', "Line 3 is not valid JSON"),
    ],
)
def test_a_file_that_cannot_be_imported_at_all_says_why(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(text)

    with pytest.raises(ImportFileError, match=message):
        read_rows(path)


# ---------------------------------------------------------------------------------------------- validating
def test_a_good_row_becomes_the_draft_the_api_would_make() -> None:
    good, problems = validate([row(stock="12")], categories, sellers)

    assert problems == []
    [imported] = good
    assert imported.draft.price == Money(7999, "USD")
    assert (imported.draft.category_id, imported.draft.seller_id, imported.seller_id) == (
        CATEGORY,
        SELLER,
        SELLER,
    )
    assert imported.stock == 12


@pytest.mark.parametrize(
    ("values", "column", "message"),
    [
        ({"price_amount": ""}, "price_amount", "required"),
        ({"price_amount": "19.99"}, "price_amount", "valid integer"),
        ({"price_amount": "-1"}, "price_amount", "greater than or equal to 0"),
        ({"currency": "XXX"}, "currency", "unsupported currency"),
        ({"name": "x" * 201}, "name", "at most 200 characters"),
        ({"category": "garden"}, "category", "no category has the id or slug 'garden'"),
        ({"seller": "nobody@example.com"}, "seller", "no account"),
        ({"stock": "-3"}, "stock", "0 or more"),
        ({"stock": "many"}, "stock", "a whole number"),
        ({"colour": "red"}, "colour", "unknown column"),
    ],
)
def test_each_problem_names_its_line_column_and_reason(
    values: dict[str, object], column: str, message: str
) -> None:
    [(line, found_column, found_message)] = problems_of(row(line=7, **values))

    assert (line, found_column) == (7, column)
    assert message in found_message


def test_json_numbers_are_taken_as_they_are() -> None:
    good, problems = validate([row(price_amount=1999, stock=0)], categories, sellers)

    assert problems == [] and good[0].draft.price.amount == 1999 and good[0].stock == 0


def test_every_problem_of_a_row_is_reported_at_once() -> None:
    problems = problems_of(row(line=3, category="garden", seller="nobody@example.com", stock="-1"))

    assert {column for _, column, _ in problems} == {"category", "seller", "stock"}


def test_the_same_product_twice_in_a_file_is_refused_after_the_first() -> None:
    good, problems = validate([row(line=2), row(line=3, name="AURORA EARBUDS ")], categories, sellers)

    assert [r.line for r in good] == [2]
    assert [(p.line, p.column, p.message) for p in problems] == [
        (3, "name", "the same product as line 2 (seller and name)")
    ]
