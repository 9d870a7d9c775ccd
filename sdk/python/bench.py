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


ROUNDS = 25  # interleaved: raw and file alternate in slices, and the ratio is taken per round
SLICE = max(1, n // 5)


def rate(check):
    start = time.perf_counter()
    for _ in range(SLICE):
        check()
    return SLICE / (time.perf_counter() - start)


def median(values):
    return sorted(values)[len(values) // 2]


print(f"Python SDK (cryptography), {ROUNDS} interleaved rounds of {SLICE}, one core (medians; ratios per round)")
for name in ("plain machine file", "encrypted machine file"):
    vector = next(v for v in vectors["licenseFiles"] if v["name"] == name)
    envelope = json.loads(unwrap_armor(vector["file"]))
    message = f"tollgate-license-file-v1\0{envelope['alg']}\0{envelope['type']}\0{envelope['kid']}\0".encode() + base64.b64decode(envelope["enc"])
    signature, key = base64.b64decode(envelope["sig"]), verifier.keys[envelope["kid"]]
    raw, full, ratio = [], [], []
    for _ in range(ROUNDS):
        raw.append(rate(lambda: key.verify(signature, message)))
        full.append(rate(lambda: verifier.license_file(vector["file"], vector["now"], vector.get("licenseKey"), vector.get("fingerprint"))))
        ratio.append(full[-1] / raw[-1])
    print(f"  raw Ed25519 verify:        {median(raw):9.0f} /s")
    print(f"  {name + ' verify:':32} {median(full):9.0f} /s   ratio {median(ratio):.3f} (target >= 0.5)")
