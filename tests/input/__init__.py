"""Tests: every keystroke kept, every input inert (forms, pastes, limits, the CLI's echo)."""
