"""Recommendations: what a customer leans towards (affinity, for search ranking), what is bought
together, what is trending, and a personal list composed from all three, cached per customer."""
