"""Which Qt plugins the bundle leaves out (used by hook-PySide6.QtGui.py in this folder).

PyInstaller's stock PySide6 hooks collect every plugin of a module. The client shows plain widgets
on a desktop: it needs the platform plugins of Windows, X11 and offscreen, and nothing for embedded
screens, SVG icons or image files. Leaving out Linux's GTK3 theme alone keeps GTK, Cairo, Pango and
ATK (about 20 MB) out of the bundle; leaving out Wayland keeps QtSvg out (X11 also serves Wayland
desktops through XWayland). QtNetwork, whose plugins these would also be, is excluded in the spec.
"""

from __future__ import annotations

UNUSED_PLUGINS = (
    "platformthemes/libqgtk3",
    "platforms/libqeglfs",
    "platforms/libqminimalegl",
    "platforms/libqlinuxfb",
    "platforms/libqvnc",
    "platforms/libqvkkhrdisplay",
    "platforms/libqwayland",  # X11 (and XWayland) only: Wayland's plugins pull in QtSvg and more
    "wayland-",
    "egldeviceintegrations/",
    "generic/",
    "iconengines/",
    "imageformats/",
)


def is_used(entry: tuple[str, str]) -> bool:
    """False for a (source, destination folder) pair of a plugin listed in UNUSED_PLUGINS."""
    source, dest = entry
    path = f"{dest.replace(chr(92), '/')}/{source.replace(chr(92), '/').rsplit('/', 1)[-1]}"
    if "/plugins/" not in path:
        return True
    plugin = path.split("/plugins/", 1)[1]
    return not any(plugin.startswith(prefix) for prefix in UNUSED_PLUGINS)
