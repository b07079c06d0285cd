"""Test double of systemd's user manager (org.freedesktop.systemd1 on the
session bus), as a python-dbusmock template.

It knows the units given in the parameters and answers what Paddock asks:
LoadUnit, EnableUnitFiles, Reload, StartUnit, and the units' LoadState and
ActiveState. Like the real podman.socket, starting that unit makes podman's
API listen at the socket given as parameter "socket" (podman's own service
stands in for socket activation); its pid goes to the file "pidfile" so that
the test can stop it. Calls() lists the manager calls made, in order.

Parameters: {"units": {"podman.socket": "inactive"}, "socket": PATH, "pidfile": PATH}
"""

import os
import subprocess

import dbus

from dbusmock import MOCK_IFACE, mockobject

BUS_NAME = "org.freedesktop.systemd1"
MAIN_OBJ = "/org/freedesktop/systemd1"
MAIN_IFACE = "org.freedesktop.systemd1.Manager"
UNIT_IFACE = "org.freedesktop.systemd1.Unit"
SYSTEM_BUS = False


def load(mock, parameters):
    mock.units = {}
    mock.calls = []
    mock.next_job = 1
    mock.socket = parameters.get("socket")
    mock.pidfile = parameters.get("pidfile")
    mock.AddProperties(MAIN_IFACE, {"Version": "257"})
    for name, state in parameters.get("units", {}).items():
        add_unit(mock, name, "loaded", state)


def unit_path(name):
    escaped = "".join(c if c.isalnum() else "_%02x" % ord(c) for c in name)
    return f"{MAIN_OBJ}/unit/{escaped}"


def add_unit(mock, name, load_state, active_state):
    path = unit_path(name)
    mock.units[name] = path
    mock.AddObject(
        path,
        UNIT_IFACE,
        {"Id": name, "LoadState": load_state, "ActiveState": active_state},
        [],
    )
    return path


def unit(mock, name):
    return mockobject.objects[mock.units[name]]


@dbus.service.method(MAIN_IFACE, in_signature="s", out_signature="o")
def LoadUnit(self, name):
    name = str(name)
    self.calls.append("LoadUnit " + name)
    if name not in self.units:
        return add_unit(self, name, "not-found", "inactive")
    return self.units[name]


@dbus.service.method(MAIN_IFACE, in_signature="asbb", out_signature="ba(sss)")
def EnableUnitFiles(self, files, _runtime, _force):
    changes = []
    for name in files:
        name = str(name)
        self.calls.append("EnableUnitFiles " + name)
        if self.units.get(name) is None or unit(self, name).Get(UNIT_IFACE, "LoadState") != "loaded":
            raise dbus.exceptions.DBusException(
                f"Unit file {name} does not exist.", name="org.freedesktop.systemd1.NoSuchUnit"
            )
        changes.append(("symlink", f"/home/user/.config/systemd/user/sockets.target.wants/{name}", f"/usr/lib/systemd/user/{name}"))
    return (True, changes)


@dbus.service.method(MAIN_IFACE, in_signature="", out_signature="")
def Reload(self):
    self.calls.append("Reload")


@dbus.service.method(MAIN_IFACE, in_signature="ss", out_signature="o")
def StartUnit(self, name, _mode):
    name = str(name)
    self.calls.append("StartUnit " + name)
    if name not in self.units:
        raise dbus.exceptions.DBusException(
            f"Unit {name} not found.", name="org.freedesktop.systemd1.NoSuchUnit"
        )
    if name == "podman.socket" and self.socket:
        os.makedirs(os.path.dirname(self.socket), mode=0o700, exist_ok=True)
        service = subprocess.Popen(
            ["podman", "system", "service", "--time=0", "unix://" + self.socket],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        if self.pidfile:
            with open(self.pidfile, "w") as f:
                f.write(str(service.pid))
    unit(self, name).UpdateProperties(UNIT_IFACE, {"ActiveState": "active"})
    job = f"{MAIN_OBJ}/job/{self.next_job}"
    self.next_job += 1
    return job


@dbus.service.method(MOCK_IFACE, in_signature="", out_signature="as")
def Calls(self):
    return self.calls
