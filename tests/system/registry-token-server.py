#!/usr/bin/env python3
"""A token service for docker-registry's `auth: token:`, for 150-registry.bats.

Usage: registry-token-server.py PORT KEY CERT SERVICE ISSUER LOG

GET /token?service=S&scope=repository:NAME:ACTIONS answers {"token": JWT},
an RS256 JWT signed with KEY by `openssl dgst` (python's stdlib cannot sign)
and carrying CERT in x5c, which the registry checks against its
rootcertbundle. Policy:
  - secret/*: only for Basic tug:sesame, else 401 (the registry never sees
    the client);
  - denied/*: a token that grants nothing, so the registry answers 401
    insufficient_scope;
  - anything else: the actions asked for.
Each request is appended to LOG as "scope=... account=..." so the test can
check that the client went through this service.
"""
import base64
import json
import subprocess
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

port, key, cert, service, issuer, log = sys.argv[1:7]


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def cert_der():
    pem = open(cert).read()
    body = pem.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
    return base64.b64decode("".join(body.split()))


X5C = base64.b64encode(cert_der()).decode()


def sign(claims):
    header = {"typ": "JWT", "alg": "RS256", "x5c": [X5C]}
    signing_input = (b64url(json.dumps(header).encode()) + "." +
                     b64url(json.dumps(claims).encode()))
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key],
                         input=signing_input.encode(), capture_output=True,
                         check=True).stdout
    return signing_input + "." + b64url(sig)


def account_of(headers):
    auth = headers.get("Authorization", "")
    if not auth.startswith("Basic "):
        return None
    try:
        return base64.b64decode(auth[6:]).decode()
    except ValueError:
        return ""


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        if url.path != "/token":
            return self.reply(404, {"error": "not found"})
        q = parse_qs(url.query)
        account = account_of(self.headers)
        scopes = q.get("scope", [])
        with open(log, "a") as f:
            f.write("scope=%s account=%s\n" % (" ".join(scopes), (account or "").split(":")[0]))
        if q.get("service", [""])[0] != service:
            return self.reply(400, {"error": "wrong service"})
        access = []
        for s in scopes:
            kind, _, rest = s.partition(":")
            name, _, actions = rest.rpartition(":")
            if name.startswith("secret/") and account != "tug:sesame":
                return self.reply(401, {"error": "authentication required"})
            granted = [] if name.startswith("denied/") else [a for a in actions.split(",") if a]
            access.append({"type": kind, "name": name, "actions": granted})
        now = int(time.time())
        token = sign({"iss": issuer, "sub": (account or "anonymous").split(":")[0],
                      "aud": service, "exp": now + 300, "nbf": now - 10, "iat": now,
                      "jti": uuid.uuid4().hex, "access": access})
        self.reply(200, {"token": token, "expires_in": 300})


ThreadingHTTPServer(("127.0.0.1", int(port)), Handler).serve_forever()
