"""The catalogue: a category tree and the products sellers list in it."""
