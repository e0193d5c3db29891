#!/usr/bin/env python3
"""Prepares a running credgov for the schemathesis run: logs in the first sysadmin
(enrolling TOTP), creates a unit with a unit admin (enrolled too) and an account, and
prints the two bearer tokens as shell assignments. Standard library only."""

import base64
import hashlib
import hmac
import json
import struct
import sys
import time
import urllib.error
import urllib.request

BASE = sys.argv[1]
ADMIN_PASSWORD = sys.argv[2]
UNIT_ADMIN_PASSWORD = "Fuzz-Walnut-Harbor-7319"


def call(method, path, token=None, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if data is not None:
        req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            text = res.read().decode()
            return res.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as e:
        text = e.read().decode()
        raise SystemExit(f"{method} {path} -> {e.code}: {text}")


def totp(secret_b32, at=None):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    step = int((at or time.time()) // 30)
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[off : off + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


def login_and_enroll(username, password):
    _, v = call("POST", "/api/v1/auth/login", body={"username": username, "password": password})
    token = v["token"]
    if v.get("mfa_enrollment_required"):
        _, e = call("POST", "/api/v1/auth/totp/enroll", token, {})
        call("POST", "/api/v1/auth/totp/confirm", token, {"code": totp(e["secret"])})
    return token


def main():
    admin = login_and_enroll("admin", ADMIN_PASSWORD)
    _, units = call("GET", "/api/v1/units", admin)
    items = units["items"] if isinstance(units, dict) else units
    root = items[0]["id"]
    _, unit = call("POST", "/api/v1/units", admin, {"name": "模糊测试单位", "kind": "department", "parent_id": root})
    _, user = call("POST", "/api/v1/users", admin, {"username": "fuzz-unit-admin", "display_name": "模糊测试", "password": UNIT_ADMIN_PASSWORD, "unit_id": unit["id"]})
    call("POST", f"/api/v1/units/{unit['id']}/members", admin, {"user_id": user["id"], "role": "unit_admin"})
    unit_admin = login_and_enroll("fuzz-unit-admin", UNIT_ADMIN_PASSWORD)
    call("POST", f"/api/v1/units/{unit['id']}/accounts", unit_admin, {"name": "模糊测试微博", "platform": "weibo", "login_name": "fuzz", "classification": "important", "generate": True})
    print(f"SYSADMIN_TOKEN={admin}")
    print(f"UNIT_ADMIN_TOKEN={unit_admin}")


main()
