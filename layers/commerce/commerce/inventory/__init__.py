"""Inventory: stock per product and warehouse, reservations for orders, and the rules that
keep a unit from being sold twice."""
