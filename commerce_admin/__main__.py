"""`python -m commerce_admin`: the same as the commerce-admin command."""

from commerce_admin.cli import app

app(prog_name="commerce-admin")
