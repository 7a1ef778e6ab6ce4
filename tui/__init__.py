"""SafeDesk's terminal front end: the Textual app, the click CLI and shared widgets.

Nothing here may import Textual at package import time: `safedesk --help`,
`--version` and the headless commands must start without it.
"""

__version__ = "0.1.0"
