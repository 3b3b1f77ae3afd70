"""Accounts: users and passwords, the login and write throttles, and who may do what (permissions)."""
