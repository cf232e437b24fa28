#!/usr/bin/env python3
"""A Hub cache written by Python's huggingface_hub itself, for CLIPHubTests: proof that swift-clip
reads the cache Python tools fill (and the layout it writes is the same).

A throwaway local Hub (http.server) serves one repository, `fixture/tiny-open-clip`, holding the
`vit_gelu` open_clip model of CLIPModelTests (config as a regular file, weights as an LFS file behind
a CDN redirect, as huggingface.co serves them); `hf_hub_download` fetches both files with
HF_ENDPOINT pointing at it, into Tests/CLIPHubTests/Fixtures/python_cache/. A tag `v1` is recorded
too. Lock files are dropped (empty, and ignored by readers).

    pip install huggingface_hub
    python Scripts/make_hub_cache_fixture.py
"""
import hashlib
import http.server
import os
import shutil
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "..", "Tests", "CLIPModelTests", "Fixtures", "vit_gelu", "open_clip")
OUT = os.path.join(HERE, "..", "Tests", "CLIPHubTests", "Fixtures", "python_cache")
REPO = "fixture/tiny-open-clip"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
FILES = {name: open(os.path.join(SOURCE, name), "rb").read()
         for name in ("open_clip_config.json", "open_clip_model.safetensors")}
LFS = {"open_clip_model.safetensors"}


def git_blob_id(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class Hub(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_HEAD(self):
        self.respond(head=True)

    def do_GET(self):
        self.respond(head=False)

    def respond(self, head):
        path = self.path.split("?")[0]
        if path.startswith("/cdn/"):
            sha = path[len("/cdn/"):]
            data = next(d for n, d in FILES.items() if hashlib.sha256(d).hexdigest() == sha)
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("ETag", f'"{sha}"')
            self.end_headers()
            if not head:
                self.wfile.write(data)
            return
        prefix = f"/{REPO}/resolve/"
        revision, _, name = path[len(prefix):].partition("/")
        if not path.startswith(prefix) or revision not in ("main", "v1", COMMIT) or name not in FILES:
            self.send_response(404)
            self.send_header("X-Error-Code", "EntryNotFound")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = FILES[name]
        if name in LFS:
            sha = hashlib.sha256(data).hexdigest()
            self.send_response(302)
            self.send_header("Location", f"http://localhost:{self.server.server_port}/cdn/{sha}")
            self.send_header("X-Linked-Etag", f'"{sha}"')
            self.send_header("X-Linked-Size", str(len(data)))
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("X-Repo-Commit", COMMIT)
        self.send_header("ETag", f'"{git_blob_id(data)}"')
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if not head:
            self.wfile.write(data)


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    os.environ["HF_ENDPOINT"] = f"http://127.0.0.1:{server.server_port}"
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    os.environ["HF_HUB_DISABLE_XET"] = "1"
    from huggingface_hub import hf_hub_download  # reads HF_ENDPOINT at import

    shutil.rmtree(OUT, ignore_errors=True)
    for name in FILES:
        hf_hub_download(REPO, name, cache_dir=OUT)
    hf_hub_download(REPO, "open_clip_config.json", revision="v1", cache_dir=OUT)
    server.shutdown()
    shutil.rmtree(os.path.join(OUT, ".locks"), ignore_errors=True)
    for root, _, files in os.walk(OUT):
        for f in files:
            path = os.path.join(root, f)
            kind = f"-> {os.readlink(path)}" if os.path.islink(path) else f"{os.path.getsize(path)} bytes"
            print(os.path.relpath(path, OUT), kind)


if __name__ == "__main__":
    main()
