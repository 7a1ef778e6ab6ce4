"""SafeDesk's terminal front end: the Textual app, the click CLI and shared widgets.

Nothing here may import Textual at package import time: `safedesk --help`,
`--version` and the headless commands must start without it.
"""

# Written by setuptools-scm at build/install time (see pyproject.toml), so every build names
# its own version and commit; `pip install -e .` writes it for a checkout.
from safedesk._version import __commit__, __version__

__all__ = ["__commit__", "__version__"]
