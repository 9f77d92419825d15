"""Product search: the query model, the backend port, personalisation."""
