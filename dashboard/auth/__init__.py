"""Accounts, roles, scopes, sessions and CSRF for the dashboard (enforced on the server)."""
