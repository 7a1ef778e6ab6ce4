"""SafeDesk's colour themes: a calm default and a high-contrast one.

Meaning is never carried by colour alone: badges and messages always have words.
"""

from __future__ import annotations

from textual.theme import Theme

SAFEDESK = Theme(
    name="safedesk",
    primary="#3B82C4",
    secondary="#5E9C76",
    accent="#D9A441",
    warning="#E0A100",
    error="#E5484D",
    success="#46A758",
    foreground="#E6E8EB",
    background="#14181D",
    surface="#1C2228",
    panel="#252D35",
    dark=True,
)

HIGH_CONTRAST = Theme(
    name="safedesk-high-contrast",
    primary="#FFFF00",
    secondary="#00FFFF",
    accent="#FFFFFF",
    warning="#FFFF00",
    error="#FF6B6B",
    success="#00FF00",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#1A1A1A",
    dark=True,
)

THEMES = (SAFEDESK, HIGH_CONTRAST)
