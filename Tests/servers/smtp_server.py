#!/usr/bin/env python3
"""A real SMTP server (aiosmtpd) on 127.0.0.1 for carecron's SMTP sender test: STARTTLS with the
given certificate, AUTH PLAIN/LOGIN against one user, every message saved whole (bytes as
received) into --dir. Prints its port on the first line of stdout."""
import argparse
import socket
import ssl
import sys
import time
import uuid

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

p = argparse.ArgumentParser()
p.add_argument("--dir", required=True)
p.add_argument("--cert", required=True)
p.add_argument("--key", required=True)
p.add_argument("--user", default="shop")
p.add_argument("--password", default="secret")
args = p.parse_args()


class Saver:
    async def handle_DATA(self, server, session, envelope):
        name = "%s/%s.eml" % (args.dir, uuid.uuid4().hex)
        with open(name, "wb") as f:
            f.write(b"X-Envelope-From: " + envelope.mail_from.encode() + b"\r\n")
            f.write(b"X-Envelope-To: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n")
            f.write(envelope.original_content)
        return "250 OK queued as " + name.rsplit("/", 1)[1]


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == args.user \
        and auth_data.password.decode() == args.password
    # handled=False: aiosmtpd answers 535 itself on failure.
    return AuthResult(success=ok, handled=False)


with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(args.cert, args.key)
controller = Controller(Saver(), hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                        authenticator=authenticator, auth_require_tls=True, decode_data=False)
controller.start()
print(port, flush=True)
try:
    while True:
        time.sleep(3600)
finally:
    controller.stop()
