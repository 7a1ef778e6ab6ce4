"""Tests: reports, printing and the demo store they are shown with."""
