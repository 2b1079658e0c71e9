#!/usr/bin/env python3
"""Test peers for chronid's end-to-end tests, in one process:

- an SMTP server (aiosmtpd) that keeps every message it receives;
- an HTTP server standing in for a Twilio-style SMS / voice provider
  (POST {base}/Messages.json and {base}/Calls.json, form-encoded To, From, Body or Twiml);
- read-back endpoints for the tests: GET /mail, GET /sms (JSON lists, oldest first);
- GET /totp?secret=BASE32[&at=UNIX] -> the current code computed by pyotp, an implementation
  independent of the server's.

A provider request to the number +15550000000 is answered 500, for delivery-failure tests.
"""

import argparse
import base64
import email
import hashlib
import email.policy
import json
import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pyotp
from aiosmtpd.controller import Controller

AUTH_TOKEN = "token"
# The digest of this file: scripts/peers.sh restarts peers that run an older version of it.
VERSION = hashlib.sha256(open(__file__, "rb").read()).hexdigest()
FAILING_NUMBER = "+15550000000"

lock = threading.Lock()
mails = []
texts = []


class Keep:
    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain", "html"))
        with lock:
            mails.append(
                {
                    "from": envelope.mail_from,
                    "to": list(envelope.rcpt_tos),
                    "subject": str(message.get("subject", "")),
                    "body": body.get_content() if body is not None else "",
                    "received_at": time.time(),
                }
            )
        return "250 Message accepted for delivery"


class Http(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        if url.path == "/mail":
            with lock:
                return self.reply(200, list(mails))
        if url.path == "/sms":
            with lock:
                return self.reply(200, list(texts))
        if url.path == "/totp":
            totp = pyotp.TOTP(query["secret"][0])
            at = int(query["at"][0]) if "at" in query else int(time.time())
            return self.reply(200, {"code": totp.at(at)})
        if url.path == "/health":
            return self.reply(200, {"ok": True, "version": VERSION})
        return self.reply(404, {"error": "not found"})

    def do_POST(self):
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length", "0"))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        kind = None
        if url.path.endswith("/Messages.json"):
            kind = "sms"
        elif url.path.endswith("/Calls.json"):
            kind = "voice"
        if kind is None:
            return self.reply(404, {"error": "not found"})
        # As Twilio does: HTTP basic authentication with the account SID of the path and its
        # auth token (here, "token"), else 401 with code 20003.
        sid = url.path.split("/Accounts/")[1].split("/")[0] if "/Accounts/" in url.path else None
        auth = self.headers.get("Authorization", "")
        user = None
        if auth.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            except Exception:
                user = None
            if password != AUTH_TOKEN:
                user = None
        if sid is None or user != sid:
            return self.reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
        if form.get("To") == FAILING_NUMBER:
            return self.reply(500, {"message": "simulated provider failure"})
        with lock:
            texts.append(
                {
                    "kind": kind,
                    "to": form.get("To"),
                    "from": form.get("From"),
                    "body": form.get("Body"),
                    "twiml": form.get("Twiml"),
                    "account": user,
                }
            )
        return self.reply(201, {"sid": f"SM{len(texts):032d}", "status": "queued"})


class BoundController(Controller):
    """An SMTP server on a socket already bound (to a port the system chose), so no other
    process can take the port between choosing and listening."""

    def __init__(self, handler, sock):
        self.sock = sock
        super().__init__(handler, hostname="127.0.0.1", port=sock.getsockname()[1])

    def _create_server(self):
        return self.loop.create_server(self._factory_invoker, sock=self.sock)


def start_smtp(port):
    """Starts the SMTP server on `port`, or on a port the system hands out when it is 0."""
    if port:
        smtp = Controller(Keep(), hostname="127.0.0.1", port=port)
    else:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        smtp = BoundController(Keep(), sock)
    smtp.start()
    return smtp, smtp.port


def exit_with(parent):
    """Ends this process once `parent` (the test process that started it) has gone: this
    process is then handed to another parent."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--smtp-port", type=int, default=2525, help="0: a free port")
    parser.add_argument("--http-port", type=int, default=2580, help="0: a free port")
    parser.add_argument("--parent-pid", type=int, help="exit when this process has gone")
    args = parser.parse_args()
    smtp, smtp_port = start_smtp(args.smtp_port)
    server = ThreadingHTTPServer(("127.0.0.1", args.http_port), Http)
    if args.parent_pid:
        threading.Thread(target=exit_with, args=(args.parent_pid,), daemon=True).start()
    # The first line of output says where the peers listen.
    print(json.dumps({"smtp_port": smtp_port, "http_port": server.server_port}), flush=True)
    try:
        server.serve_forever()
    finally:
        smtp.stop()


if __name__ == "__main__":
    main()
