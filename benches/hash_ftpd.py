#!/usr/bin/env python3
"""An FTP server that gives checksums (XSHA256), for the bench's --verify
case: pyftpdlib, as `python3 -m pyftpdlib` serves, plus the XSHA256
command ProFTPD's mod_digest has (vsftpd, the bench's usual server, gives
none). Loopback only.

    hash_ftpd.py PORT ROOT USER PASSWORD
"""
import hashlib
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer


class HashHandler(FTPHandler):
    proto_cmds = dict(FTPHandler.proto_cmds)
    proto_cmds["XSHA256"] = {
        "perm": "r",
        "auth": True,
        "arg": True,
        "help": "Syntax: XSHA256 <SP> file-name (SHA-256 of the file).",
    }

    def ftp_XSHA256(self, path):
        digest = hashlib.sha256()
        try:
            with open(path, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    digest.update(chunk)
        except OSError as err:
            self.respond("550 %s." % err.strerror)
            return
        self.respond("250 " + digest.hexdigest())


def main():
    port, root, user, password = sys.argv[1:5]
    authorizer = DummyAuthorizer()
    authorizer.add_user(user, password, root, perm="elradfmwMT")
    HashHandler.authorizer = authorizer
    HashHandler.passive_ports = range(50200, 50301)
    server = FTPServer(("127.0.0.1", int(port)), HashHandler)
    server.serve_forever()


if __name__ == "__main__":
    main()
