#!/usr/bin/env python3
"""Prints, as JSON, every name, description and text that the application
APP_NAME exposes over AT-SPI, once it shows a window (waits up to TIMEOUT s).
Used by tests/packaging/i18n.rs: `atspi.py APP_NAME TIMEOUT`."""
import json
import sys
import time

import gi

gi.require_version("Atspi", "2.0")
from gi.repository import Atspi  # noqa: E402


def collect(acc, out):
    for read in (acc.get_name, acc.get_description):
        try:
            value = read()
        except gi.repository.GLib.Error:
            value = None
        if value:
            out.append(value)
    try:
        if acc.get_text_iface() is not None:
            text = Atspi.Text.get_text(acc, 0, -1)
            if text:
                out.append(text)
    except gi.repository.GLib.Error:
        pass
    for i in range(acc.get_child_count()):
        child = acc.get_child_at_index(i)
        if child is not None:
            collect(child, out)
    return out


def main():
    app_name, timeout = sys.argv[1], float(sys.argv[2])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        desktop = Atspi.get_desktop(0)
        for i in range(desktop.get_child_count()):
            app = desktop.get_child_at_index(i)
            if app is None or app.get_name() != app_name or app.get_child_count() == 0:
                continue
            texts = collect(app, [])
            # The window's content arrives a moment after the window itself.
            if len(texts) > 3:
                print(json.dumps(texts))
                return 0
        time.sleep(0.3)
    print(f"no window of {app_name} appeared on the accessibility bus within {timeout} s", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
