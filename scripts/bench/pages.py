"""Seeds a large account and times the admin portal's pages (scripts/bench/pages)."""
import http.client
import json
import os
import random
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

BIN, N = sys.argv[1], int(sys.argv[2])
LICENSES = int(os.environ.get("PAGES_LICENSES", 100_000))
MACHINES_PER_LICENSE = 3
VALIDATIONS = int(os.environ.get("PAGES_VALIDATIONS", 5_000_000))
TOKEN = "tga_bench-admin-token-0123456789"
WORK = tempfile.mkdtemp()
DATA = os.path.join(WORK, "data")
DAY = 86_400_000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start():
    port = free_port()
    log = open(os.path.join(WORK, f"server-{port}.log"), "w+")
    # Rate limits off: this measures other things; scripts/bench/ratelimit measures the limiter.
    env = dict(os.environ, TOLLGATE_ADMIN_TOKEN=TOKEN, TOLLGATE_RATE_LIMITS="off", TOLLGATE_KEY_ENCRYPTION_KEY="Wl0fIzDEqdu2wJBbxuxz0bbGNvvjnCUJpYZ6Dgc/Yyo=")
    process = subprocess.Popen([BIN, "serve", "--port", str(port), "--data-dir", DATA, "--log-level", "warning"], stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1)
            return process, port, log
        except OSError:
            time.sleep(0.1)
    raise SystemExit("server did not start: " + open(log.name).read())


def api(port, method, path, body=None, headers=None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, data=None if body is None else json.dumps(body).encode())
    request.add_header("Authorization", f"Bearer {TOKEN}")
    request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


# 1. The server makes one of each row; the rest are copies.
process, port, log = start()
product = api(port, "POST", "/v1/products", {"code": "studio", "name": "Studio"})
policy = api(port, "POST", "/v1/policies/presets/professional", {"productId": product["id"]})
customers = [api(port, "POST", "/v1/customers", {"name": f"Customer {n}", "email": f"it{n}@customer{n}.example"})["id"] for n in range(500)]
license = api(port, "POST", "/v1/licenses", {"policyId": policy["id"], "customerId": customers[0]})
request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/machines", method="POST", data=json.dumps({"fingerprint": "template"}).encode())
request.add_header("Authorization", f"License {license['key']}")
request.add_header("Content-Type", "application/json")
urllib.request.urlopen(request).read()
urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/v1/licenses/validate", data=json.dumps({"key": license["key"]}).encode(),
                                              headers={"Content-Type": "application/json"})).read()
time.sleep(1)
invitation = re.search(r"/admin/join/tgi_\w+", open(log.name).read())
process.terminate()
process.wait()

started = time.time()
db = sqlite3.connect(os.path.join(DATA, "tollgate.sqlite"))
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=OFF")
columns = [c[1] for c in db.execute("PRAGMA table_info(licenses)")]
template = dict(zip(columns, db.execute("SELECT * FROM licenses WHERE id = ?", (license["id"],)).fetchone()))
document = json.loads(template["data"])
now = int(time.time() * 1000)
rng = random.Random(7)
license_ids = []


def licenses():
    for n in range(LICENSES - 1):
        row = dict(template)
        row["id"] = f"lic_01SEED{n:016d}"
        row["customer_id"] = customers[n % len(customers)]
        state = "active" if n % 20 < 18 else ("suspended" if n % 20 == 18 else "revoked")
        row["state"] = state
        row["expires_at"] = now + rng.randint(-60, 400) * DAY
        doc = dict(document, id=row["id"], customerId=row["customer_id"], state=state, expiresAt=row["expires_at"],
                   metadata={"seat": f"floor-{n % 40}"})
        row["data"] = json.dumps(doc, sort_keys=True, separators=(",", ":"))
        license_ids.append(row["id"])
        yield tuple(row[c] for c in columns)


db.executemany(f"INSERT INTO licenses ({','.join(columns)}) VALUES ({','.join('?' * len(columns))})", licenses())
machine_columns = [c[1] for c in db.execute("PRAGMA table_info(machines)")]
machine = dict(zip(machine_columns, db.execute("SELECT * FROM machines LIMIT 1").fetchone()))


def machines():
    for n, license_id in enumerate(license_ids):
        for m in range(MACHINES_PER_LICENSE):
            row = dict(machine, id=f"mch_01SEED{n:014d}{m:02d}", license_id=license_id, fingerprint=f"fp-{n}-{m}", name=f"host-{m}")
            yield tuple(row[c] for c in machine_columns)


db.executemany(f"INSERT INTO machines ({','.join(machine_columns)}) VALUES ({','.join('?' * len(machine_columns))})", machines())
account = template["account_id"]
codes = ["VALID"] * 90 + ["EXPIRED"] * 4 + ["SUSPENDED"] * 3 + ["FINGERPRINT_SCOPE_MISMATCH"] * 2 + ["REVOKED"]
days = {}


def validations():
    for n in range(VALIDATIONS):
        code = codes[n % len(codes)]
        at = now - rng.randint(0, 14 * DAY)
        day = at // DAY * DAY
        days[(day, code)] = days.get((day, code), 0) + 1
        yield (f"val_01SEED{n:016d}", account, license_ids[n % len(license_ids)], code, 1 if code == "VALID" else 0, "10.0.0.1", at)


db.executemany("INSERT INTO validation_events (id, account_id, license_id, code, valid, remote_address, occurred_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
               validations())
db.executemany("INSERT INTO validation_days (account_id, day, code, count) VALUES (?, ?, ?, ?) "
               "ON CONFLICT (account_id, day, code) DO UPDATE SET count = validation_days.count + excluded.count",
               [(account, day, code, count) for (day, code), count in days.items()])
db.executemany("INSERT OR REPLACE INTO machine_days (account_id, day, active) VALUES (?, ?, ?)",
               [(account, (now // DAY - d) * DAY, 300_000 - d * 1000) for d in range(1, 30)])
db.commit()
db.execute("ANALYZE")
db.close()
print(f"seeded {LICENSES:,} licenses, {LICENSES * MACHINES_PER_LICENSE:,} machines, {VALIDATIONS:,} validations in {time.time() - started:.0f} s", flush=True)

# 2. The server on the seeded file; the first owner signs in.
process, port, log = start()
connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)


def fetch(path, method="GET", body=None, cookies=""):
    headers = {"Cookie": cookies} if cookies else {}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    return response.status, response.getheaders(), response.read().decode()


status, headers, html = fetch(invitation.group(0))
form_cookie = [v.split(";")[0] for k, v in headers if k.lower() == "set-cookie"][0]
csrf = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
body = urllib.parse.urlencode({"csrf": csrf, "email": "owner@example.com", "password": "correct horse battery", "confirmation": "correct horse battery"})
status, headers, _ = fetch(invitation.group(0), "POST", body, form_cookie)
session = [v.split(";")[0] for k, v in headers if k.lower() == "set-cookie" and v.startswith("tollgate_admin=")][0]
assert status == 303, status

middle = license_ids[LICENSES // 2]
pages = [
    ("GET /healthz (baseline)", lambda n: "/healthz"),
    ("dashboard", lambda n: "/admin"),
    ("license list, first page", lambda n: "/admin/licenses"),
    ("license list, filtered by status and customer", lambda n: f"/admin/licenses?status=active&customerId={customers[n % len(customers)]}"),
    ("license list, a page deep in the list", lambda n: f"/admin/licenses?status=active&after={license_ids[(n * 397) % len(license_ids)]}"),
    ("license detail", lambda n: f"/admin/licenses/{license_ids[(n * 7919) % len(license_ids)]}"),
    ("license list, search on a customer's name (a scan)", lambda n: f"/admin/licenses?q=Customer%20{n % 500}"),
]
print(f"{N} requests per page, one connection, release build {BIN}")
print(f"{'page':<52} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
for name, path in pages:
    count = N if "scan" not in name else max(20, N // 10)
    for n in range(5):
        status, _, _ = fetch(path(n), cookies=session)
        assert status == 200, (name, status)
    times = []
    for n in range(count):
        began = time.perf_counter()
        status, _, _ = fetch(path(n), cookies=session)
        times.append((time.perf_counter() - began) * 1000)
        assert status == 200, (name, status)
    times.sort()
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    print(f"{name:<52} {statistics.median(times):>8.1f} {p95:>8.1f} {times[-1]:>8.1f}", flush=True)
process.terminate()
process.wait()
