"""Reports for sellers: each day's sales as a CSV file in the reports bucket, and an email."""
