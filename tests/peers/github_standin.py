"""A stand-in for GitHub's OAuth app flow and REST API, for chronid's GitHub login tests. No
real program plays GitHub locally, so this one does what GitHub documents
(docs.github.com: "Authorizing OAuth apps", "REST API endpoints for users" and "for emails"):

- GET  /login/oauth/authorize: client_id, redirect_uri (must be the registered one), state,
  code_challenge and code_challenge_method=S256 (PKCE). It shows a form saying who signs in (a
  test's choice: login, numeric id, primary email and whether it is verified, another email),
  then redirects to the redirect_uri with `code` and the same `state`.
- POST /login/oauth/access_token: client_id, client_secret, code, redirect_uri, code_verifier,
  form-encoded or JSON. The answer is JSON only with `Accept: application/json`; otherwise
  form-encoded, as GitHub does. Errors are answered 200 with `error`, `error_description` and
  `error_uri`: incorrect_client_credentials, redirect_uri_mismatch, bad_verification_code (an
  unknown, expired or used code, or a verifier that does not match). A code works once, for 10
  minutes.
- GET /user and GET /user/emails with `Authorization: Bearer TOKEN` (or `token TOKEN`):
  403 without a User-Agent, 401 with a bad token. /user/emails lists each email with `primary`,
  `verified` and `visibility`.

Prints one JSON line when it listens: {"port", "base"}. Ends when --parent-pid has gone.
"""

import argparse
import base64
import hashlib
import html
import json
import os
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

CODE_LIFETIME = 600
ERROR_URI = "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors"


class State:
    def __init__(self, client_id, client_secret, redirect_uri):
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.lock = threading.Lock()
        self.codes = {}  # code -> dict(user, challenge, redirect_uri, issued)
        self.tokens = {}  # token -> user


def page(title, body):
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>{body}</body></html>")


def hidden(name, value):
    return f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'


class Http(BaseHTTPRequestHandler):
    state = None

    def log_message(self, *args):
        pass

    def send(self, status, content_type, text, headers=()):
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def json(self, status, payload):
        self.send(status, "application/json; charset=utf-8", json.dumps(payload))

    def read_body(self):
        length = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(length).decode("utf-8")

    def do_GET(self):
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        if url.path == "/health":
            return self.json(200, {"ok": True})
        if url.path == "/login/oauth/authorize":
            return self.authorize(query)
        if url.path in ("/user", "/user/emails"):
            return self.api(url.path)
        return self.json(404, {"message": "Not Found"})

    def do_POST(self):
        url = urlparse(self.path)
        if url.path == "/login/oauth/authorize":
            return self.sign_in(self.read_body())
        if url.path == "/login/oauth/access_token":
            return self.access_token(self.read_body())
        return self.json(404, {"message": "Not Found"})

    # -- the web flow ----------------------------------------------------------------------

    def authorize(self, query):
        s = self.state
        if query.get("client_id") != s.client_id:
            return self.send(404, "text/html; charset=utf-8", page("Not found", "<p>No such application.</p>"))
        if query.get("redirect_uri", s.redirect_uri) != s.redirect_uri:
            return self.send(400, "text/html; charset=utf-8", page("Redirect URI mismatch",
                             "<p>The redirect_uri is not associated with this application.</p>"))
        if query.get("code_challenge_method") not in (None, "S256"):
            return self.send(400, "text/html; charset=utf-8", page("Bad request", "<p>Only S256.</p>"))
        fields = "".join(hidden(k, query.get(k, "")) for k in ("state", "code_challenge", "redirect_uri"))
        body = f"""<form method="post" action="/login/oauth/authorize">{fields}
<p><label for="login">Username</label><br><input id="login" name="login" required></p>
<p><label for="user_id">User id</label><br><input id="user_id" name="user_id" required></p>
<p><label for="email">Primary email</label><br><input id="email" name="email" type="email" required></p>
<p><label><input type="checkbox" id="verified" name="verified" value="yes" checked> verified</label></p>
<p><label for="other_email">Another email (verified, not primary)</label><br><input id="other_email" name="other_email" type="email"></p>
<p><button type="submit">Authorize</button></p></form>"""
        return self.send(200, "text/html; charset=utf-8", page("Sign in to GitHub (stand-in)", body))

    def sign_in(self, body):
        form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
        s = self.state
        try:
            user_id = int(form.get("user_id", ""))
        except ValueError:
            return self.send(400, "text/html; charset=utf-8", page("Bad request", "<p>The user id is a number.</p>"))
        emails = [{"email": form.get("email", ""), "primary": True,
                   "verified": form.get("verified") == "yes", "visibility": "private"}]
        if form.get("other_email"):
            emails.append({"email": form["other_email"], "primary": False, "verified": True, "visibility": None})
        user = {"login": form.get("login", ""), "id": user_id, "emails": emails}
        code = secrets.token_hex(10)
        with s.lock:
            s.codes[code] = {"user": user, "challenge": form.get("code_challenge", ""),
                             "redirect_uri": form.get("redirect_uri") or s.redirect_uri, "issued": time.time()}
        target = f"{s.redirect_uri}?{urlencode({'code': code, 'state': form.get('state', '')})}"
        self.send(302, "text/html; charset=utf-8", page("Redirecting", ""), [("Location", target)])

    def access_token(self, body):
        s = self.state
        if self.headers.get("Content-Type", "").startswith("application/json"):
            params = json.loads(body or "{}")
        else:
            params = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
        basic = self.headers.get("Authorization", "")
        if basic.startswith("Basic "):
            cid, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
            params.setdefault("client_id", cid)
            params.setdefault("client_secret", secret)

        def answer(payload):
            if "application/json" in self.headers.get("Accept", ""):
                return self.json(200, payload)
            return self.send(200, "application/x-www-form-urlencoded; charset=utf-8", urlencode(payload))

        def error(code, description):
            return answer({"error": code, "error_description": description, "error_uri": ERROR_URI})

        if params.get("client_id") != s.client_id or params.get("client_secret") != s.client_secret:
            return error("incorrect_client_credentials",
                         "The client_id and/or client_secret passed are incorrect.")
        with s.lock:
            grant = s.codes.pop(params.get("code", ""), None)
        if grant is None or time.time() - grant["issued"] > CODE_LIFETIME:
            return error("bad_verification_code", "The code passed is incorrect or expired.")
        if params.get("redirect_uri", grant["redirect_uri"]) != grant["redirect_uri"]:
            return error("redirect_uri_mismatch",
                         "The redirect_uri MUST match the registered callback URL for this application.")
        verifier = params.get("code_verifier", "")
        if grant["challenge"]:
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
            if digest != grant["challenge"]:
                return error("bad_verification_code", "The code_verifier does not match the code_challenge.")
        token = "gho_" + secrets.token_hex(18)
        with s.lock:
            s.tokens[token] = grant["user"]
        return answer({"access_token": token, "token_type": "bearer", "scope": "read:user,user:email"})

    # -- the REST API ----------------------------------------------------------------------

    def api(self, path):
        if not self.headers.get("User-Agent"):
            return self.send(403, "text/plain; charset=utf-8",
                             "Request forbidden by administrative rules. Please make sure your request "
                             "has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required).\n")
        auth = self.headers.get("Authorization", "")
        token = auth.split(" ", 1)[1] if auth.startswith(("Bearer ", "token ")) else ""
        with self.state.lock:
            user = self.state.tokens.get(token)
        if user is None:
            return self.json(401, {"message": "Bad credentials",
                                   "documentation_url": "https://docs.github.com/rest", "status": "401"})
        if path == "/user":
            public = next((e["email"] for e in user["emails"] if e["visibility"] == "public"), None)
            return self.json(200, {"login": user["login"], "id": user["id"], "type": "User",
                                   "name": user["login"], "email": public})
        return self.json(200, [{k: e[k] for k in ("email", "primary", "verified", "visibility")}
                               for e in user["emails"]])


def exit_with(parent):
    while True:
        try:
            os.kill(parent, 0)
        except OSError:
            os._exit(0)
        time.sleep(0.5)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--redirect-uri", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--parent-pid", type=int, default=os.getppid())
    args = parser.parse_args()
    Http.state = State(args.client_id, args.client_secret, args.redirect_uri)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Http)
    port = server.server_address[1]
    threading.Thread(target=exit_with, args=(args.parent_pid,), daemon=True).start()
    print(json.dumps({"port": port, "base": f"http://127.0.0.1:{port}"}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
