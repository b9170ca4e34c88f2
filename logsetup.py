"""One configured logger for the whole process: human-readable lines on stderr.

``configure_logging`` is called once by a composition root (``app.py`` or ``cli.py``);
calling it again replaces the handler instead of stacking a second one.
"""

from __future__ import annotations

import logging
import sys

from settings import LoggingSettings

_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_HANDLER_NAME = "matthan-console"


def configure_logging(config: LoggingSettings) -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER_NAME:
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(logging.Formatter(_FORMAT, datefmt="%Y-%m-%d %H:%M:%S"))
    root.addHandler(handler)
    root.setLevel(config.level)
    for name, level in config.loggers.items():
        logging.getLogger(name).setLevel(level)
