#!/usr/bin/env python3
"""A real HTTP server on 127.0.0.1 for carecron's sender tests, which can be told to fail.

It prints its port on the first line of stdout, then logs every request as one JSON line to
--log: method, path, headers, body, the time it arrived and left, whether the webhook signature
verified. What it answers is decided per request, in order:
  --script 500,429,ok,slow,close,refuse... : the answers of the first requests, then "ok";
  --fail-rate P --seed S                   : otherwise fail P of the requests at random
                                             (500, 429 with Retry-After, slow, closed connection);
  --zalo                                   : answer like Zalo ZNS; a phone ending in 108, 118, 124,
                                             131 or 144 gets that error code;
  --esms                                   : answer like eSMS (CodeResult 100, SMSID);
  --delay SECONDS                          : hold every answer that long (concurrency tests);
  --hold-file PATH                         : hold every answer while PATH exists (at most 60 s).
"""
import argparse
import hashlib
import hmac
import json
import os
import random
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

p = argparse.ArgumentParser()
p.add_argument("--log", required=True)
p.add_argument("--script", default="")
p.add_argument("--fail-rate", type=float, default=0.0)
p.add_argument("--seed", type=int, default=1)
p.add_argument("--secret", default="")
p.add_argument("--retry-after", default="1")
p.add_argument("--slow", type=float, default=5.0)
p.add_argument("--delay", type=float, default=0.0)
p.add_argument("--zalo", action="store_true")
p.add_argument("--esms", action="store_true")
p.add_argument("--hold-file", default="")
args = p.parse_args()

script = [s for s in args.script.split(",") if s]
lock = threading.Lock()
rng = random.Random(args.seed)
state = {"n": 0, "inflight": 0, "max_inflight": 0}
log = open(args.log, "a", buffering=1)


def next_answer():
    """The answer for the next request, and that request's own number (for provider ids)."""
    with lock:
        i = state["n"]
        state["n"] += 1
        if i < len(script):
            return script[i], i
        if args.fail_rate and rng.random() < args.fail_rate:
            return rng.choice(["500", "429", "slow", "close"]), i
        return "ok", i


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        self.handle_any()

    def do_POST(self):
        self.handle_any()

    def handle_any(self):
        arrived = time.time()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with lock:
            state["inflight"] += 1
            state["max_inflight"] = max(state["max_inflight"], state["inflight"])
            inflight = state["inflight"]
        answer, number = next_answer()
        sig = self.headers.get("X-Carecron-Signature")
        sig_ok = None
        if args.secret and sig is not None:
            expected = "sha256=" + hmac.new(args.secret.encode(), body, hashlib.sha256).hexdigest()
            sig_ok = hmac.compare_digest(expected, sig)
        try:
            if args.delay:
                time.sleep(args.delay)
            held_until = time.time() + 60
            while args.hold_file and os.path.exists(args.hold_file) and time.time() < held_until:
                time.sleep(0.05)
            if answer == "slow":
                time.sleep(args.slow)
            # Logged before answering, so that whoever got the answer finds the request logged.
            log.write(json.dumps({
                "method": self.command, "path": self.path, "headers": {k: v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"), "answer": answer, "arrived": arrived,
                "sig_ok": sig_ok, "inflight": inflight,
            }) + "\n")
            if answer == "close":
                self.close_connection = True
                self.connection.shutdown(2)
                return
            status, headers, reply = 200, {}, b'{"id": "msg-%d"}' % number
            if answer == "500":
                status, reply = 500, b'{"error": "boom"}'
            elif answer == "429":
                status, headers, reply = 429, {"Retry-After": args.retry_after}, b'{"error": "slow down"}'
            elif answer.isdigit():
                status, reply = int(answer), b'{"error": "refused"}'
            elif args.zalo:
                reply = self.zalo(body, number)
            elif args.esms:
                reply = json.dumps({"CodeResult": "100", "SMSID": "esms-%d" % number}).encode()
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)
        finally:
            with lock:
                state["inflight"] -= 1

    def zalo(self, body, number):
        try:
            phone = json.loads(body).get("phone", "")
        except ValueError:
            phone = ""
        for code in ("108", "118", "124", "131", "144"):
            if phone.endswith(code):
                return json.dumps({"error": -int(code), "message": "error %s" % code}).encode()
        return json.dumps({"error": 0, "message": "Success", "data": {
            "msg_id": "zns-%d" % number, "sent_time": str(int(time.time() * 1000)),
            "quota": {"dailyQuota": "5000", "remainingQuota": "4999"}}}).encode()


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
