"""Owns the clipboard of the GUI tests' display, as an app the user copied
from would: an image (GNOME's screenshot tool offers image/png only), text,
or files (as Files offers them: text/uri-list).

Usage: python3 clipboard_source.py png FILE | text TEXT | files PATH...;
prints "ready" once the clipboard is its own, and keeps it until killed."""

import sys

import gi

gi.require_version("Gdk", "4.0")
gi.require_version("Gtk", "4.0")
from gi.repository import Gdk, Gio, GLib, Gtk  # noqa: E402

Gtk.init()
kind, args = sys.argv[1], sys.argv[2:]
if kind == "png":
    with open(args[0], "rb") as image:
        content = Gdk.ContentProvider.new_for_bytes("image/png", GLib.Bytes.new(image.read()))
elif kind == "text":
    content = Gdk.ContentProvider.new_for_bytes(
        "text/plain;charset=utf-8", GLib.Bytes.new(args[0].encode())
    )
else:
    uris = "".join(Gio.File.new_for_path(p).get_uri() + "\r\n" for p in args)
    content = Gdk.ContentProvider.new_for_bytes("text/uri-list", GLib.Bytes.new(uris.encode()))
clipboard = Gdk.Display.get_default().get_clipboard()
clipboard.set_content(content)
print("ready", flush=True)
GLib.MainLoop().run()
