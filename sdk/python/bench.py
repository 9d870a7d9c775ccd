"""First verification of a machine file against a raw Ed25519 verify of the same signed bytes,
in the same run (issue 5: within 2x). Uses the shared vectors. python3 sdk/python/bench.py [n]"""
import base64
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tollgate import Verifier  # noqa: E402
from tollgate._verify import unwrap_armor  # noqa: E402

vectors = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "vectors.json").read_text())
verifier = Verifier(vectors["jwks"])
n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000


def rate(check):
    start = time.perf_counter()
    for _ in range(n):
        check()
    return n / (time.perf_counter() - start)


def median(values):
    return sorted(values)[len(values) // 2]


print(f"Python SDK (cryptography), {n} x 5 rounds, one core (medians)")
for name in ("plain machine file", "encrypted machine file"):
    vector = next(v for v in vectors["licenseFiles"] if v["name"] == name)
    envelope = json.loads(unwrap_armor(vector["file"]))
    message = f"tollgate-license-file-v1\0{envelope['alg']}\0{envelope['type']}\0{envelope['kid']}\0".encode() + base64.b64decode(envelope["enc"])
    signature, key = base64.b64decode(envelope["sig"]), verifier.keys[envelope["kid"]]
    raw, full = [], []
    for _ in range(5):
        raw.append(rate(lambda: key.verify(signature, message)))
        full.append(rate(lambda: verifier.license_file(vector["file"], vector["now"], vector.get("licenseKey"), vector.get("fingerprint"))))
    print(f"  raw Ed25519 verify:        {median(raw):9.0f} /s")
    print(f"  {name + ' verify:':32} {median(full):9.0f} /s   ratio {median(full) / median(raw):.3f} (target >= 0.5)")
