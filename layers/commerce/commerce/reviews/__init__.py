"""Product reviews: one per customer and product, only from customers who received it, each kept
in step with the product's rating summary."""
