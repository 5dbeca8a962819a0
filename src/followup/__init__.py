"""Followup: case management for post-overdose follow-up and treatment referral."""

__version__ = "0.1.0"
