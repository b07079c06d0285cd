"""Test double of the Documents portal (org.freedesktop.portal.Documents,
interface version 5) as a python-dbusmock template: GetHostPaths answers from
the parameter "documents" ({document id: host path}), unknown ids are left
out of the answer as the real portal does.
"""

import dbus

BUS_NAME = "org.freedesktop.portal.Documents"
MAIN_OBJ = "/org/freedesktop/portal/documents"
MAIN_IFACE = "org.freedesktop.portal.Documents"
SYSTEM_BUS = False


def load(mock, parameters):
    mock.documents = parameters.get("documents", {})
    mock.AddProperties(MAIN_IFACE, {"version": dbus.UInt32(5)})


@dbus.service.method(MAIN_IFACE, in_signature="as", out_signature="a{say}")
def GetHostPaths(self, ids):
    return {
        str(i): dbus.ByteArray(self.documents[str(i)].encode() + b"\0")
        for i in ids
        if str(i) in self.documents
    }
