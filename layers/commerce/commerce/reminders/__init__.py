"""Abandoned-cart reminders: one email per idle period of a signed-in customer's cart, sent
before the cart expires."""
