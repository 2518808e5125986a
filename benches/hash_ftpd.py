#!/usr/bin/env python3
"""An FTP server that gives checksums (XSHA256), for the bench's --verify
case: pyftpdlib, as `python3 -m pyftpdlib` serves, plus the XSHA256
command ProFTPD's mod_digest has (vsftpd, the bench's usual server, gives
none). Loopback only.

    hash_ftpd.py [--cache] PORT ROOT USER PASSWORD

Each connection has a thread of its own, as a server with a process per
connection (vsftpd, ProFTPD, pure-ftpd) hashes beside its transfers;
hashlib lets go of Python's lock while it hashes. `--cache` keeps each
file's digest by path, size and time once computed (ProFTPD's
mod_digest can cache too), so that the bench can tell the client's own
cost of verifying from the server's.
"""
import hashlib
import os
import sys
import threading

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import ThreadedFTPServer

CACHE = {}
CACHE_LOCK = threading.Lock()


class HashHandler(FTPHandler):
    proto_cmds = dict(FTPHandler.proto_cmds)
    proto_cmds["XSHA256"] = {
        "perm": "r",
        "auth": True,
        "arg": True,
        "help": "Syntax: XSHA256 <SP> file-name (SHA-256 of the file).",
    }

    use_cache = False

    def ftp_XSHA256(self, path):
        try:
            self.respond("250 " + self.sha256_of(path))
        except OSError as err:
            self.respond("550 %s." % err.strerror)

    def sha256_of(self, path):
        st = os.stat(path)
        key = (path, st.st_size, st.st_mtime_ns)
        if self.use_cache:
            with CACHE_LOCK:
                if key in CACHE:
                    return CACHE[key]
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
        hexdigest = digest.hexdigest()
        if self.use_cache:
            with CACHE_LOCK:
                CACHE[key] = hexdigest
        return hexdigest


def main():
    args = sys.argv[1:]
    if args and args[0] == "--cache":
        HashHandler.use_cache = True
        args = args[1:]
    port, root, user, password = args[:4]
    authorizer = DummyAuthorizer()
    authorizer.add_user(user, password, root, perm="elradfmwMT")
    HashHandler.authorizer = authorizer
    HashHandler.passive_ports = range(50200, 50301)
    server = ThreadedFTPServer(("127.0.0.1", int(port)), HashHandler)
    server.serve_forever()


if __name__ == "__main__":
    main()
