"""Carts: customer and guest carts that expire 24 hours after their last change."""
