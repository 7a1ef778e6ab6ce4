"""Tests: content."""
