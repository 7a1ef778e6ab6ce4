"""Tests: forms."""
