#!/usr/bin/python3
"""A fault-injecting HTTP proxy for the S3 tests: forwards every request to an upstream
server (a local S3 server) as it came (the Host header too, so that SigV4 signatures still
match), and spoils the first requests of each path on demand. Standard library only.

    /usr/bin/python3 tests/s3_fault_proxy.py --upstream http://127.0.0.1:PORT [options]

The first line on stdout is its port, alone; it runs until its standard input closes
(--parent-stdin) or it is killed.
  --slowdown N   the first N GETs of each path answer 503 SlowDown (S3's XML error body)
  --reset N      the next N GETs of each path are forwarded, but only their headers and half
                 their body are sent before the connection is closed (a reset mid-body)
  --log FILE     one line per request: METHOD<TAB>PATH<TAB>RANGE<TAB>WHAT (slowdown, reset,
                 or the upstream's status)
"""
import argparse
import http.client
import http.server
import sys
import threading
import urllib.parse

SLOWDOWN = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
            b'<Message>Please reduce your request rate.</Message></Error>')


class Proxy(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, args):
        super().__init__(("127.0.0.1", 0), Handler)
        self.args = args
        self.upstream = urllib.parse.urlsplit(args.upstream)
        self.counts = {}
        self.lock = threading.Lock()

    def nth(self, path):
        with self.lock:
            self.counts[path] = self.counts.get(path, 0) + 1
            return self.counts[path]

    def log(self, *fields):
        if self.args.log:
            with self.lock, open(self.args.log, "a") as f:
                f.write("\t".join(str(x) for x in fields) + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        s = self.server
        n = s.nth(self.path)
        what = "slowdown" if n <= s.args.slowdown else "reset" if n <= s.args.slowdown + s.args.reset else None
        if what == "slowdown":
            s.log("GET", self.path, self.headers.get("Range", "-"), what)
            self.send_response(503)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(SLOWDOWN)))
            self.end_headers()
            self.wfile.write(SLOWDOWN)
            return
        conn = http.client.HTTPConnection(s.upstream.hostname, s.upstream.port, timeout=30)
        conn.request("GET", self.path, headers=dict(self.headers))  # Host kept: signatures match
        r = conn.getresponse()
        body = r.read()
        conn.close()
        s.log("GET", self.path, self.headers.get("Range", "-"), what or r.status)
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if what == "reset" and len(body) > 1:
            self.wfile.write(body[:len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(body)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--slowdown", type=int, default=0)
    ap.add_argument("--reset", type=int, default=0)
    ap.add_argument("--log")
    ap.add_argument("--parent-stdin", action="store_true")
    a = ap.parse_args()
    proxy = Proxy(a)
    print(proxy.server_address[1], flush=True)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    if a.parent_stdin:
        sys.stdin.read()
    else:
        threading.Event().wait()


if __name__ == "__main__":
    main()
