"""A real SMTP server for convene's tests, built on aiosmtpd (Debian: python3-aiosmtpd).

Usage: python3 aiosmtpd_server.py CONFIG.json

CONFIG.json holds {"mode": "starttls" | "implicit", "cert": PATH, "key": PATH, "user": STR, "password": STR,
"spool": DIR}. The server listens on 127.0.0.1 at a port the OS picks, requires AUTH (PLAIN or LOGIN) with exactly
that user and password before MAIL, and writes every accepted message atomically to SPOOL/<seq>.json as
{"mail_from", "rcpt_tos", "data_b64", "tls", "auth_user", "connection"}.

Protocol with the parent process: prints "READY <port>" on stdout once it accepts connections; exits when its stdin
reaches end of file (the parent closed it or died). Fatal problems are reported on stderr; a missing aiosmtpd module
is reported as a line starting with "MISSING-AIOSMTPD" and exit status 3.
"""

import base64
import itertools
import json
import logging
import os
import socket
import ssl
import sys
import threading

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
except ImportError as error:  # pragma: no cover - reported to the Rust side
    print(f"MISSING-AIOSMTPD: cannot import aiosmtpd ({error})", file=sys.stderr, flush=True)
    sys.exit(3)


# aiosmtpd itself sets the deprecated Session.login_data on every AUTH and then warns about it; that is noise.
logging.getLogger("mail.log").addFilter(lambda record: "login_data is deprecated" not in record.getMessage())


class SpoolHandler:
    """Writes each message to the spool directory, one JSON file per message, via rename (atomic)."""

    def __init__(self, spool):
        self.spool = spool
        self.seq = itertools.count(1)
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            seq = next(self.seq)
        auth_data = getattr(session, "auth_data", None)
        auth_user = None
        if isinstance(auth_data, LoginPassword):
            auth_user = auth_data.login.decode("utf-8", "replace")
        transport = getattr(server, "transport", None)
        tls = session.ssl is not None or (
            transport is not None and transport.get_extra_info("ssl_object") is not None
        )
        content = envelope.original_content
        if content is None:
            content = envelope.content or b""
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        record = {
            "mail_from": envelope.mail_from or "",
            "rcpt_tos": list(envelope.rcpt_tos),
            "data_b64": base64.b64encode(content).decode("ascii"),
            "tls": bool(tls),
            "auth_user": auth_user,
            "connection": getattr(server, "convene_connection", 0),
        }
        tmp = os.path.join(self.spool, f".{seq:08d}.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.replace(tmp, os.path.join(self.spool, f"{seq:08d}.json"))
        return "250 2.0.0 Message accepted for delivery"


def make_authenticator(user, password):
    user = user.encode("utf-8")
    password = password.encode("utf-8")

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == user and auth_data.password == password
        # handled=False lets aiosmtpd send the standard "535 5.7.8" itself on failure.
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return authenticator


class SpoolController(Controller):
    """A Controller serving on a socket we bound ourselves (port 0), so the port is known without races."""

    def __init__(self, handler, sock, **kwargs):
        self._sock = sock
        self._connections = itertools.count(1)
        host, port = sock.getsockname()[:2]
        super().__init__(handler, hostname=host, port=port, **kwargs)

    def _create_server(self):
        return self.loop.create_server(self._factory_invoker, sock=self._sock, ssl=self.ssl_context)

    def factory(self):
        # One SMTP instance per connection; number them (the Controller's own start-up probe is number 1).
        smtp = SMTP(self.handler, **self.SMTP_kwargs)
        smtp.convene_connection = next(self._connections)
        return smtp


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        config = json.load(f)
    os.makedirs(config["spool"], exist_ok=True)

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(config["cert"], config["key"])

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.setblocking(False)
    port = sock.getsockname()[1]

    common = dict(
        authenticator=make_authenticator(config["user"], config["password"]),
        auth_required=True,
        # Avoid socket.getfqdn(), which can stall on DNS.
        server_hostname="aiosmtpd.test",
        ready_timeout=10.0,
    )
    handler = SpoolHandler(config["spool"])
    if config["mode"] == "starttls":
        controller = SpoolController(
            handler, sock, tls_context=context, require_starttls=True, auth_require_tls=True, **common
        )
    elif config["mode"] == "implicit":
        # aiosmtpd 1.4 only counts STARTTLS as "TLS" for auth_require_tls; with implicit TLS the whole connection is
        # encrypted anyway, and auth_require_tls=True would hide AUTH (538) forever.
        controller = SpoolController(handler, sock, ssl_context=context, auth_require_tls=False, **common)
    else:
        raise SystemExit(f"unknown mode {config['mode']!r}")

    controller.start()
    print(f"READY {port}", flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
