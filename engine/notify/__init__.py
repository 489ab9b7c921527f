"""Notifications: which domain events notify whom, how a webhook body is signed, when to retry."""
