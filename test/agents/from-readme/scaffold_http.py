#!/usr/bin/env python3
"""Scaffold as an HTTP agent, written from the README alone (standard-library Python).

    python3 scaffold_http.py <port> <log file>

Answers `stream-to-scaffold` payloads with a `scaffold-output` plan; needs `Authorization: Bearer $SCAFFOLD_TOKEN`.
Each request's envelope keys and headers are appended to the log file as one JSON line.
"""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = os.environ["SCAFFOLD_TOKEN"]
LOG = sys.argv[2]
replies = {}
HOURS = 730


def plan_for(needs):
    plan = []
    if "kafka" in needs:
        brokers = needs["kafka"]["brokers"]
        plan.append({"resource": "kafka.broker", "spec": f"{brokers} brokers", "quantity": brokers * HOURS,
                     "unit": "broker-hour", "unit_price_usd": 0.2, "monthly_cost_usd": round(brokers * HOURS * 0.2, 2)})
    if "spark" in needs:
        workers = needs["spark"]["workers"]
        plan.append({"resource": "spark.worker", "spec": f"{workers} workers, {needs['spark']['memory']}",
                     "quantity": workers * HOURS, "unit": "worker-hour", "unit_price_usd": 0.5,
                     "monthly_cost_usd": round(workers * HOURS * 0.5, 2)})
    if "warehouse" in needs:
        size = needs["warehouse"]["warehouse_size"]
        plan.append({"resource": "warehouse", "spec": size, "quantity": 240, "unit": "credit",
                     "unit_price_usd": 3, "monthly_cost_usd": 720})
    return plan


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        envelope = json.loads(body)
        with open(LOG, "a") as log:
            log.write(json.dumps({
                "keys": sorted(envelope.keys()),
                "content_type": self.headers.get("Content-Type"),
                "idempotency_key": self.headers.get("Idempotency-Key"),
                "authorized": self.headers.get("Authorization") == f"Bearer {TOKEN}",
            }) + "\n")
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self.reply(401, {"error": "who are you?"})
        key = self.headers["Idempotency-Key"]
        if key in replies:
            return self.reply(200, replies[key])
        if envelope["reply_contract"] != "scaffold-output":
            return self.reply(422, {"error": "I only answer scaffold-output"})
        plan = plan_for(envelope["payload"]["infrastructure_needs"])
        total = round(sum(item["monthly_cost_usd"] for item in plan), 2)
        reply = {
            "plan": plan,
            "monthly_cost_usd": total,
            "price_table": "scaffold_http.py flat prices",
            "artifacts": [{"name": "plan.txt", "content": f"{envelope['chain_id']}: {total:.2f} USD/month\n"}],
        }
        replies[key] = reply
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


server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
print(f"listening on {server.server_address[1]}", flush=True)
server.serve_forever()
