#!/usr/bin/env python3
"""A Builder agent over HTTP, in plain Python (standard library only), written from the README's protocol.

    python3 examples/agents/http_builder.py 8088
    # agents.yaml:  builder: { transport: http, url: http://127.0.0.1:8088/handoff, token_env: BUILDER_TOKEN }

It answers each connector requirement with a connector spec. Requests with an Idempotency-Key it has seen
get the same answer again, so a retried handoff never builds twice.
"""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = os.environ.get("BUILDER_TOKEN")
seen = {}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        if TOKEN and self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self.reply(401, {"error": "bad token"})
        envelope = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        key = self.headers.get("Idempotency-Key")
        if key in seen:
            return self.reply(200, seen[key])
        if envelope["reply_contract"] != "builder-output":
            return self.reply(422, {"error": f"cannot produce {envelope['reply_contract']}"})
        connectors = []
        for req in envelope["payload"]["connector_requirements"]:
            table = req.get("table") or req["api"].removesuffix("_api")
            sql = f"SELECT * FROM {table}"
            if req["method"] == "incremental":
                sql += f" WHERE {req['key']} > $cursor AND {req['key']} <= $high_watermark ORDER BY {req['key']}"
            connectors.append(
                {"name": f"{table}_connector", "api": req["api"], "table": table, "method": req["method"],
                 "extraction_sql": sql, "built_by": "http_builder.py"}
            )
        reply = {"connectors": connectors, "artifacts": [{"name": "built-by.txt", "content": "http_builder.py\n"}]}
        seen[key] = reply
        return self.reply(200, reply)

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 8088), Handler)
    print(f"listening on {server.server_address[1]}", flush=True)
    server.serve_forever()
