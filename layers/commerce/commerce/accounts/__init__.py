"""User and seller accounts: registration, sign-in, profile and saved addresses."""
