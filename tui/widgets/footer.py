"""The key footer: Textual's look, drawn as one line by one widget.

Textual's Footer is a container of one widget per key (a dozen on most screens), each styled
twice over with its two component classes, and rebuilt on every bindings signal (each focus
move, each screen opening). That was most of the time the pupil list of 5,000 took to appear
(`python -m bench consents`), and ~20 ms of the guide's first paint (`python -m bench guide`).
Here the keys are text in one widget: a bindings signal that changes what is shown repaints one
line, and the first frame already has the keys. It keeps what Textual's footer does for a person:
the same look (`tests/snapshots`), a key clicked runs as if pressed (a disabled one rings the
bell), the key under the mouse is highlighted with its tooltip, and the palette key stays on the
right when the keys do not all fit.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.style import Style
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget


class FooterKey(NamedTuple):
    """One key as the footer shows it (a NamedTuple: a dataclass took 0.6 ms to define, on the
    guide's first paint)."""

    key: str  # the key pressed when it is clicked
    display: str  # how the key is written ("^p", "esc")
    description: str
    action: str
    enabled: bool
    tooltip: str


class _Shown(NamedTuple):
    keys: tuple[FooterKey, ...]
    palette: FooterKey | None


class Footer(Widget, can_focus=False):
    """The keys the focused widget and its screen offer, on the bottom line."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"footer--key", "footer--description", "footer--hover", "footer--palette-border"}
    # The colours and spacing of Textual's Footer and FooterKey (textual/widgets/_footer.py).
    DEFAULT_CSS = """
    Footer {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .footer--key { color: $footer-key-foreground; background: $footer-key-background; text-style: bold; }
        & > .footer--description { color: $footer-description-foreground; background: $footer-description-background; }
        & > .footer--hover { color: $footer-key-foreground; background: $block-hover-background; }
        & > .footer--palette-border { color: $foreground 20%; }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self._shown = _Shown((), None)
        self._spans: list[tuple[int, int, FooterKey]] = []  # where each key is drawn: [start, end)
        self._hover: FooterKey | None = None

    @property
    def keys(self) -> tuple[FooterKey, ...]:
        """The keys shown now, left to right, then the palette key."""
        palette = self._shown.palette
        return (*self._shown.keys, palette) if palette else self._shown.keys

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._shown = self._read()  # in the first frame, not after it

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        # Textual's own footer ignores signals while the terminal has lost the focus: nothing
        # is focused then, and the keys would flicker to the screen's own.
        if not screen.app.app_focus or screen is not self.screen:
            return
        shown = self._read()
        if shown != self._shown:
            self._shown = shown
            self.refresh()

    def _read(self) -> _Shown:
        """What Textual's Footer shows: each action's first key with `show`, in binding order."""
        app = self.app
        active = self.screen.active_bindings
        keys: dict[str, FooterKey] = {}
        for _, binding, enabled, tooltip in active.values():
            if binding.show and binding.action not in keys:
                keys[binding.action] = FooterKey(
                    binding.key, app.get_key_display(binding), binding.description, binding.action, enabled, tooltip
                )
        palette = None
        if app.ENABLE_COMMAND_PALETTE and app.COMMAND_PALETTE_BINDING in active:
            _, binding, enabled, _ = active[app.COMMAND_PALETTE_BINDING]
            palette = FooterKey(
                binding.key,
                app.get_key_display(binding),
                binding.description,
                binding.action,
                enabled,
                binding.tooltip or binding.description,
            )
        return _Shown(tuple(keys.values()), palette)

    # ----------------------------------------------------------------- drawing

    def render(self) -> Text:
        width = self.size.width
        base = self.rich_style
        right = Text()
        palette = self._shown.palette
        if palette is not None:
            # Textual's palette key: compact (no padding round the key), a bar on its left.
            right.append("▏", self.get_component_rich_style("footer--palette-border"))
            right.append_text(self._drawn(palette, palette.display, f" {palette.description}"))
            right.append(" ")  # its padding on the right
        room = max(width - right.cell_len, 0)
        line = Text(no_wrap=True, overflow="crop", end="")
        self._spans = []
        for key in self._shown.keys:
            start = line.cell_len
            if start >= room:
                break
            # Textual pads the key by one space each side only when a description follows it.
            drawn = (
                self._drawn(key, f" {key.display} ", f"{key.description} ")
                if key.description
                else self._drawn(key, key.display, "")
            )
            line.append_text(drawn)
            self._spans.append((start, min(line.cell_len, room), key))
        line.truncate(room, pad=True)
        if palette is not None:
            self._spans.append((room, room + right.cell_len, palette))
        line.append_text(right)
        line.stylize_before(base)
        return line

    def _drawn(self, key: FooterKey, key_text: str, description: str) -> Text:
        item = Style(dim=True) if not key.enabled else Style()
        if key == self._hover:
            item += self.get_component_rich_style("footer--hover", partial=True)
        text = Text.assemble(
            (key_text, self.get_component_rich_style("footer--key", partial=True)),
            (description, self.get_component_rich_style("footer--description", partial=True)),
        )
        text.stylize_before(item)
        return text

    # ----------------------------------------------------------------- mouse

    def _key_at(self, x: int) -> FooterKey | None:
        return next((key for start, end, key in self._spans if start <= x < end), None)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._hovering(self._key_at(event.x))

    def on_leave(self) -> None:
        self._hovering(None)

    def _hovering(self, key: FooterKey | None) -> None:
        if key != self._hover:
            self._hover = key
            self.tooltip = key.tooltip if key else None
            self.styles.pointer = "pointer" if key else "default"
            self.refresh()

    def on_mouse_down(self, event: events.MouseDown) -> None:
        key = self._key_at(event.x)
        if key is None:
            return
        if key.enabled:
            self.app.simulate_key(key.key)
        else:
            self.app.bell()
