"""Tests: consents."""
