"""Tests: the real app on a real terminal (tmux)."""
