"""Accounts: people, sign-in and their second factor (sub-package `mfa`)."""
