"""Helpers of scripts/bench/machines.

setup URL TOKEN WORKDIR: a product, a floating enterprise-tier policy, 20 licenses with 10 machines
each; writes heartbeat.lua (machine tokens) and activate.lua (license keys, distinct fingerprints).
populate DB TOTAL DEAD: adds machines to the licenses until the table holds TOTAL rows, DEAD of them
past their deadline under a policy that deactivates dead machines.
"""
import json
import sqlite3
import sys
import time
import urllib.request


def call(url, token, method, path, body=None, auth=None):
    request = urllib.request.Request(url + path, data=None if body is None else json.dumps(body).encode(), method=method)
    request.add_header("Authorization", auth or f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def setup(url, token, work):
    product = call(url, token, "POST", "/v1/products", {"code": "bench", "name": "Bench"})["id"]
    policy = call(url, token, "POST", "/v1/policies/presets/enterprise", {"productId": product})["id"]
    customer = call(url, token, "POST", "/v1/customers", {"name": "Bench"})["id"]
    keys, beats = [], []
    for _ in range(20):
        license = call(url, token, "POST", "/v1/licenses", {"policyId": policy, "customerId": customer})
        keys.append(license["key"])
        for n in range(10):
            answer = call(url, token, "POST", "/v1/machines", {"fingerprint": f"seed-{license['id']}-{n}"}, auth=f"License {license['key']}")
            beats.append((answer["machine"]["id"], answer["token"]))
    with open(f"{work}/heartbeat.lua", "w") as lua:
        lua.write("local beats = {\n")
        for machine, jwt in beats:
            lua.write(f'  {{"/v1/machines/{machine}/heartbeat", "Bearer {jwt}"}},\n')
        lua.write("}\nlocal n = 0\nrequest = function()\n  n = n + 1\n  local beat = beats[(n % #beats) + 1]\n")
        lua.write('  return wrk.format("POST", beat[1], {["Authorization"] = beat[2]}, nil)\nend\n')
    with open(f"{work}/activate.lua", "w") as lua:
        lua.write("local keys = {\n")
        for key in keys:
            lua.write(f'  "License {key}",\n')
        lua.write("}\nlocal counter = 0\nlocal id = 0\n")
        lua.write("setup = function(thread) id = id + 1; thread:set('id', id) end\n")
        lua.write("init = function(args) prefix = tostring(wrk.thread:get('id')) .. '-' .. tostring(math.random(1, 1000000000)) end\n")
        lua.write("request = function()\n  counter = counter + 1\n  local key = keys[(counter % #keys) + 1]\n")
        lua.write('  local body = \'{"fingerprint":"bench-\' .. prefix .. \'-\' .. counter .. \'"}\'\n')
        lua.write('  return wrk.format("POST", "/v1/machines", {["Authorization"] = key, ["Content-Type"] = "application/json"}, body)\nend\n')


def populate(path, total, dead):
    db = sqlite3.connect(path)
    licenses = [row[0:2] for row in db.execute("SELECT id, account_id FROM licenses")]
    existing = db.execute("SELECT COUNT(*) FROM machines").fetchone()[0]
    now = int(time.time() * 1000)
    started = time.time()

    def rows():
        for n in range(total - existing):
            license_id, account_id = licenses[n % len(licenses)]
            is_dead = n < dead
            beat = now - (3_600_000 if is_dead else 0)
            dead_at = now - 60_000 if is_dead else now + 86_400_000
            yield (f"mch_bench{n:020d}", account_id, license_id, f"bulk-{n}", None, None, None, None, None, "active", None, None,
                   beat, dead_at, 1, None, 0, 0, None, beat, beat)

    db.executemany(
        "INSERT INTO machines (id, account_id, license_id, fingerprint, name, platform, hostname, cores, cluster, state, "
        "deactivation_reason, deactivated_at, last_heartbeat_at, dead_at, cull_when_dead, draining_until, token_version, "
        "activated_offline, offline_request_nonce, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows())
    db.commit()
    print(f"populated {total - existing} machines ({dead} dead) in {time.time() - started:.1f}s")


if __name__ == "__main__":
    if sys.argv[1] == "setup":
        setup(*sys.argv[2:5])
    else:
        populate(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
