"""IPython startup file used by the test suite: notebook kernels may not reach the network.

conftest.py installs this in a temporary IPYTHONDIR, so every kernel that nbval starts runs it
first. Connections to loopback addresses and Unix sockets still work (Jupyter itself uses them).
"""

import ipaddress
import socket

_MESSAGE = "network access is disabled while testing the course (the notebooks must run offline)"
_connect, _connect_ex, _getaddrinfo = (
    socket.socket.connect,
    socket.socket.connect_ex,
    socket.getaddrinfo,
)


def _is_local(host):
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _check(sock, address):
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
        raise OSError(f"{_MESSAGE}: refused a connection to {address[0]}")


def _guarded_connect(self, address):
    _check(self, address)
    return _connect(self, address)


def _guarded_connect_ex(self, address):
    _check(self, address)
    return _connect_ex(self, address)


def _guarded_getaddrinfo(host, *args, **kwargs):
    if not _is_local(host.decode() if isinstance(host, bytes) else host):
        raise OSError(f"{_MESSAGE}: refused to look up {host}")
    return _getaddrinfo(host, *args, **kwargs)


socket.socket.connect = _guarded_connect
socket.socket.connect_ex = _guarded_connect_ex
socket.getaddrinfo = _guarded_getaddrinfo
