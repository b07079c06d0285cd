"""A small GTK window the GUI tests drag folders and files from, as Files
would: its label is a drag source offering them as text/uri-list.

Usage: python3 drag_source.py PATH...; prints "ready" once it is shown."""

import sys

import gi

gi.require_version("Gtk", "4.0")
gi.require_version("Gdk", "4.0")
from gi.repository import Gdk, Gio, GLib, Gtk  # noqa: E402

uri_list = "".join(Gio.File.new_for_path(p).get_uri() + "\r\n" for p in sys.argv[1:]).encode()

Gtk.init()
window = Gtk.Window(title="paddock-drag-source", default_width=100, default_height=100)
label = Gtk.Label(label="drag me", vexpand=True, hexpand=True)
source = Gtk.DragSource(actions=Gdk.DragAction.COPY)
source.connect(
    "prepare",
    lambda *_: Gdk.ContentProvider.new_for_bytes("text/uri-list", GLib.Bytes.new(uri_list)),
)
label.add_controller(source)
window.set_child(label)


def shown(*_):
    print("ready", flush=True)


window.connect("map", shown)
window.present()
loop = GLib.MainLoop()
window.connect("close-request", lambda *_: loop.quit() or False)
loop.run()
