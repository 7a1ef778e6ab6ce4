"""Tests: incidents, their evidence and referrals (store, CLI and screens)."""
