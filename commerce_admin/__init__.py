"""commerce-admin: the operators' command line for the commerce platform."""
