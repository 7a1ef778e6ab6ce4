"""Tests: handover."""
