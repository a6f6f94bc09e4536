#!/usr/bin/python3
"""A small HTTP server for tests: serves a directory on 127.0.0.1, honours Range requests,
and fails on demand.

    /usr/bin/python3 tests/http_range_server.py --root DIR [options]

The first line on stdout is the port (an ephemeral one unless --port is given), alone:
    41234
then the server runs until SIGTERM/SIGINT (or, with --parent-stdin, until its stdin closes,
so a test that dies never leaves a server behind). Standard library only.

Answers (HTTP/1.1, keep-alive, GET and HEAD):
  * `Range: bytes=A-B`, `bytes=A-` or `bytes=-N` (one range): 206 with Content-Range;
    a range starting at or past the end: 416 with `Content-Range: bytes */SIZE`.
  * No Range, or several ranges (`bytes=0-1,5-9`): 200 with the whole file.
  * A missing file (or a path leaving the root): 404. A directory: 403.
  * Paths under /redirect/ answer 302 to the same path without that prefix
    (/redirect/a.nc -> /a.nc), and /redirect/redirect/a.nc redirects twice.

Fault injection (counts are per path, redirects not counted; "first N" means the first N
requests of that path get the fault, later ones are served normally):
  --fail-first N       the first N requests of each path answer 503 (with Retry-After: 0)
  --fail-path P[=S]    requests of path P always answer status S (default 500); repeatable,
                       e.g. --fail-path /gone.nc=404 --fail-path /broken.nc
  --close-early N      the first N range/file answers of each path send their full headers,
                       then half the body, then close the connection (a reset mid-body)
  --stall N            the first N range/file answers of each path send their headers and
                       half the body, then nothing more until the client hangs up or the
                       server stops (a stalled connection: the client's timeout must fire)
  --short-body N       the first N range answers of each path are a consistent 206 for only
                       the first half of the asked range (Content-Range says so)
  --ignore-range       answer 200 with the whole file even when a Range is asked
The same faults can be asked per request with a query string, which the file path ignores:
  /a.nc?status=503     that status, always
  /a.nc?fail_first=2   the first 2 requests of /a.nc?fail_first=2 answer 503

  --log FILE           one line per request, written and flushed as it is answered:
                       METHOD<TAB>PATH<TAB>RANGE (or -)<TAB>STATUS<TAB>CLIENT_PORT
                       (PATH with its query string; CLIENT_PORT tells the connections
                       apart), so a test can count requests and connections and check
                       which ranges were merged.
"""

import argparse
import http.server
import os
import re
import signal
import sys
import threading
import urllib.parse

RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


def read_bytes(path, start, n):
    """Only the bytes answered: files may be large, and many requests in flight."""
    with open(path, "rb") as f:
        f.seek(start)
        return f.read(n)


class State:
    def __init__(self, args):
        self.args = args
        self.root = os.path.realpath(args.root)
        self.lock = threading.Lock()
        self.counts = {}  # (fault, path) -> requests seen
        self.stopping = threading.Event()
        self.log = open(args.log, "a", encoding="utf-8") if args.log else None
        self.fail_paths = {}
        for spec in args.fail_path:
            path, _, status = spec.partition("=")
            self.fail_paths[path] = int(status) if status else 500

    def first_n(self, fault, key, n):
        """True for the first n requests of `key` that ask about `fault`."""
        if n <= 0:
            return False
        with self.lock:
            seen = self.counts.get((fault, key), 0)
            self.counts[(fault, key)] = seen + 1
        return seen < n

    def record(self, line):
        if self.log:
            with self.lock:
                self.log.write(line + "\n")
                self.log.flush()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "http_range_server"
    disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms stalls
    state = None  # set in main

    def log_message(self, format, *args):  # quiet: the --log file is the record
        pass

    def do_HEAD(self):
        self.answer(send_body=False)

    def do_GET(self):
        self.answer(send_body=True)

    def finish_request(self, status, headers=(), body=b"", send_body=True, close_after=None):
        self.state.record("\t".join(
            [self.command, self.path, self.headers.get("Range", "-"), str(status), str(self.client_address[1])]))
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        length = len(body) if close_after is None else close_after[0]
        self.send_header("Content-Length", str(length))
        if close_after is not None:
            self.send_header("Connection", "close")
        self.end_headers()
        if send_body:
            self.wfile.write(body)
        if close_after is not None:
            self.wfile.flush()
            self.close_connection = True

    def error(self, status, send_body, headers=()):
        body = ("%d %s\nsecond line of an error page\n" % (status, self.responses.get(status, ("?",))[0])).encode()
        self.finish_request(status, [("Content-Type", "text/plain")] + list(headers), body, send_body)

    def answer(self, send_body):
        st = self.state
        parsed = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(parsed.path)
        query = urllib.parse.parse_qs(parsed.query)
        if path.startswith("/redirect/"):
            self.finish_request(302, [("Location", path[len("/redirect"):])], b"", send_body)
            return
        if "status" in query:
            self.error(int(query["status"][0]), send_body)
            return
        if path in st.fail_paths:
            self.error(st.fail_paths[path], send_body)
            return
        if st.first_n("fail_first", path, st.args.fail_first) or (
                "fail_first" in query and st.first_n("q_fail_first", self.path, int(query["fail_first"][0]))):
            self.error(503, send_body, [("Retry-After", "0")])
            return
        full = os.path.realpath(os.path.join(st.root, path.lstrip("/")))
        if not (full == st.root or full.startswith(st.root + os.sep)) or not os.path.exists(full):
            self.error(404, send_body)
            return
        if os.path.isdir(full):
            self.error(403, send_body)
            return
        size = os.path.getsize(full)
        header = self.headers.get("Range")
        m = RANGE_RE.match(header.strip()) if header else None
        if m is None or st.args.ignore_range or (not m.group(1) and not m.group(2)):
            self.send_data(200, [], read_bytes(full, 0, size), send_body, path)
            return
        if m.group(1):
            start = int(m.group(1))
            end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
        else:  # suffix: the last N bytes
            start = max(0, size - int(m.group(2)))
            end = size - 1
        if start >= size or end < start:
            self.error(416, send_body, [("Content-Range", "bytes */%d" % size)])
            return
        if st.first_n("short_body", path, st.args.short_body) and end > start:
            end = start + (end - start + 1) // 2 - 1
        self.send_data(206, [("Content-Range", "bytes %d-%d/%d" % (start, end, size))], read_bytes(full, start, end + 1 - start),
                       send_body, path)

    def send_data(self, status, headers, body, send_body, path):
        headers = headers + [("Content-Type", "application/octet-stream"), ("Accept-Ranges", "bytes")]
        if send_body and len(body) > 1 and self.state.first_n("stall", path, self.state.args.stall):
            self.finish_request(status, headers, body[:len(body) // 2], True, close_after=(len(body),))
            self.state.stopping.wait(600)
            return
        if send_body and len(body) > 1 and self.state.first_n("close_early", path, self.state.args.close_early):
            half = len(body) // 2
            self.finish_request(status, headers, body[:half], True, close_after=(len(body),))
            return
        self.finish_request(status, headers, body, send_body)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the default backlog of 5 drops the SYNs of 16 parallel connects (1 s stalls)

    def handle_error(self, request, client_address):
        # A client that hangs up early (it had all it wanted, or it gave up) is normal here.
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", default=".", help="directory to serve (default: the current one)")
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: an ephemeral one)")
    p.add_argument("--fail-first", type=int, default=0, metavar="N")
    p.add_argument("--fail-path", action="append", default=[], metavar="P[=S]")
    p.add_argument("--close-early", type=int, default=0, metavar="N")
    p.add_argument("--stall", type=int, default=0, metavar="N")
    p.add_argument("--short-body", type=int, default=0, metavar="N")
    p.add_argument("--ignore-range", action="store_true")
    p.add_argument("--log", metavar="FILE")
    p.add_argument("--parent-stdin", action="store_true", help="exit when stdin reaches end of file")
    args = p.parse_args()

    Handler.state = State(args)
    server = Server(("127.0.0.1", args.port), Handler)
    print(server.server_address[1], flush=True)

    def stop(*_):
        Handler.state.stopping.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.parent_stdin:
        def watch():
            while sys.stdin.buffer.read(4096):
                pass
            stop()
        threading.Thread(target=watch, daemon=True).start()
    server.serve_forever(poll_interval=0.05)
    server.server_close()


if __name__ == "__main__":
    main()
