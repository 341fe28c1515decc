"""A static HTTP/1.1 server for the fetch tests: serves a directory on
127.0.0.1 with Range support (bytes=N-), logs every request as
"PATH RANGE" to --log, and cuts the first transfer of every file whose path
contains --cut after half its bytes (the connection closes mid-body), the way
a bad link does. Prints the port on stdout once listening.

    python3 range_server.py --root DIR --log FILE [--cut .apb]
"""

import argparse
import http.server
import os
import sys
import threading


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--cut", default=None)
    args = parser.parse_args()
    cut_done = set()
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_):
            pass

        def do_GET(self):
            path = self.path.split("?", 1)[0]
            wanted = self.headers.get("Range", "-")
            with lock, open(args.log, "a") as log:
                log.write(f"{path} {wanted}\n")
            file = os.path.join(args.root, path.lstrip("/"))
            if ".." in path.split("/") or not os.path.isfile(file):
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            data = open(file, "rb").read()
            start = 0
            if wanted.startswith("bytes=") and wanted.endswith("-"):
                start = int(wanted[len("bytes="):-1])
                if start >= len(data):
                    self.send_response(416)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            else:
                self.send_response(200)
            body = data[start:]
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            with lock:
                cut = args.cut is not None and args.cut in path and start == 0 and path not in cut_done
                if cut:
                    cut_done.add(path)
            if cut:
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
                return
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
