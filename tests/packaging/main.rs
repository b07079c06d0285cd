//! What Paddock is shipped as: the version everywhere, the Flatpak
//! manifests, D-Bus activation through the service file, and the German
//! translation in the CLI and the window (read over AT-SPI by atspi.py).

mod dbus;
mod flatpak;
mod i18n;
mod layers;
mod metadata;
