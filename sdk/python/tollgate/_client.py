"""The client an app embeds, and its heartbeat worker."""
import contextlib
import email.utils
import hashlib
import hmac
import json
import os
import platform
import random
import secrets
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from ._state import ClientState, ClientStatus, FileCheck, Rules, reason_for
from ._storage import Storage
from ._usage import UsageBuffer
from ._verify import VerificationError, Verifier, parse_time

class TollgateError(Exception):
    """A request the server refused (``status``, ``code``) or could not answer (``status`` None)."""

    def __init__(self, message: str, status: Optional[int] = None, code: Optional[str] = None):
        super().__init__(message)
        self.status = status
        self.code = code


class LicenseNotUsable(TollgateError):
    def __init__(self, state: ClientState):
        super().__init__(f"The license is not usable ({state.reason or state.kind}).", code=state.reason or "INACTIVE")
        self.state = state


class FeatureRequired(TollgateError):
    """The license lacks ``feature``; ``required_tier`` is the cheapest tier that has it."""

    def __init__(self, feature: str, current_tier: Optional[str], required_tier: Optional[str]):
        upgrade = f" It is included in {required_tier}." if required_tier else ""
        super().__init__(f'The feature "{feature}" is not included in the {current_tier or "current"} tier.{upgrade}',
                         code="FEATURE_NOT_ENTITLED")
        self.feature, self.current_tier, self.required_tier = feature, current_tier, required_tier


def machine_fingerprint(product_id: str) -> Optional[str]:
    """HMAC-SHA256(product id, the platform's machine id) in hex; the raw id never leaves the machine.
    Linux: /etc/machine-id; macOS: IOPlatformUUID; Windows: MachineGuid."""
    raw = None
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        with contextlib.suppress(OSError):
            raw = open(path).read().strip() or None
        if raw:
            break
    if raw is None and platform.system() == "Darwin":
        import subprocess
        with contextlib.suppress(Exception):
            out = subprocess.run(["ioreg", "-rd1", "-c", "IOPlatformExpertDevice"], capture_output=True, text=True).stdout
            raw = next(line.split('"')[-2] for line in out.splitlines() if "IOPlatformUUID" in line)
    if raw is None and platform.system() == "Windows":
        with contextlib.suppress(Exception):
            import winreg
            with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, r"SOFTWARE\Microsoft\Cryptography") as key:
                raw = winreg.QueryValueEx(key, "MachineGuid")[0]
    return None if raw is None else hmac.new(product_id.encode(), raw.encode(), hashlib.sha256).hexdigest()


class Client:
    """Activates this machine, validates online (signed, nonce-checked answers) or from the stored
    signed file, answers feature and limit checks from memory, beats, and buffers usage.

    >>> client = Client("https://licenses.example.com", "prd_…", jwks, "~/.myapp/license")
    >>> client.activate(key)                 # once per machine
    >>> client.validate().allows_use
    >>> client.require("sso")                # FeatureRequired names the tier that has it
    """

    def __init__(self, server_url: str, product_id: str, jwks: Dict[str, Any], storage_dir, *,
                 fingerprint: Optional[str] = None, machine_name: Optional[str] = None,
                 now: Callable[[], float] = time.time, timeout: float = 10, rules: Rules = Rules(),
                 tiers: Optional[List[Dict[str, Any]]] = None, usage_path: str = "/v1/usage/events"):
        self.server_url = server_url.rstrip("/")
        self.product_id = product_id
        self.verifier = Verifier(jwks)
        self.storage = Storage(os.path.expanduser(str(storage_dir)))
        self.fingerprint = fingerprint
        self.machine_name = machine_name
        self.now = now
        self.timeout = timeout
        self.rules = rules
        #: Tiers cheapest first ({"name", "entitlements", "limits", "maxMachines"}); None: the
        #: product's policies as the server lists them, fetched after activation and kept on disk.
        self.configured_tiers = tiers
        self._server_tiers: List[Dict[str, Any]] = self.storage.read_json(Storage.TIERS) or []
        self._lock = threading.RLock()
        self._handlers: List[Callable[[ClientState], None]] = []
        self.activation: Optional[Dict[str, Any]] = self.storage.read_json(Storage.ACTIVATION)
        stored = self.storage.read_json(Storage.STATUS)
        self._status = self._status_from(stored) if stored and self.activation else ClientStatus()
        self.claims = None
        self._entitlements = frozenset()
        if self.activation:
            self._adopt(self.activation["token"])
        self.usage = UsageBuffer(self.storage.directory / "usage", self._send_usage, now=now)
        self.usage_path = usage_path

    # Reading the state (memory only) ---------------------------------------------------------

    @property
    def state(self) -> ClientState:
        return self._status.state

    @property
    def status(self) -> ClientStatus:
        return self._status

    def is_entitled(self, feature: str) -> bool:
        """Whether the license may be used now and includes ``feature``."""
        return self._status.state.allows_use and (feature in self._entitlements or "*" in self._entitlements)

    def require(self, feature: str) -> None:
        """Raises FeatureRequired (naming the tier that has it) or LicenseNotUsable."""
        state = self._status.state
        if not state.allows_use:
            raise LicenseNotUsable(state)
        if not self.is_entitled(feature):
            required = next((tier["name"] for tier in self.tiers
                             if feature in tier.get("entitlements", []) or "*" in tier.get("entitlements", [])), None)
            raise FeatureRequired(feature, self.claims.tier if self.claims else None, required)

    def limit(self, code: str) -> Union[int, str, None]:
        """The license's limit ``code`` from the machine token (``maxMachines`` included): a whole
        number or ``"unlimited"``; None when the license has no limit of that code."""
        return self.claims.limits.get(code) if self.claims else None

    def limit_period(self, code: str) -> str:
        """Whether limit ``code`` resets, and how often: ``none``, ``hour``, ``day``, ``month`` or ``year``."""
        return (self.claims.limit_periods.get(code) if self.claims else None) or "none"

    @property
    def tiers(self) -> List[Dict[str, Any]]:
        """The tiers upgrade prompts name: the configured ones, or the server's."""
        return self.configured_tiers if self.configured_tiers is not None else self._server_tiers

    def tier_with_more(self, code: str, than: int) -> Optional[str]:
        """The first tier (cheapest first) whose limit ``code`` is above ``than`` or unlimited."""
        for tier in self.tiers:
            value = (tier.get("maxMachines") or "unlimited") if code == "maxMachines" else tier.get("limits", {}).get(code)
            if value == "unlimited" or (isinstance(value, int) and value > than):
                return tier["name"]
        return None

    def refresh_tiers(self) -> List[Dict[str, Any]]:
        """Fetches the product's tiers (GET /v1/products/{id}/tiers with the machine token) and keeps them on disk."""
        if not self.activation:
            raise LicenseNotUsable(self.state)
        _, _, data = self._request("GET", f"/v1/products/{self.product_id}/tiers", None, f"Bearer {self.activation['token']}", required=True)
        self._server_tiers = [{"name": t["name"], "entitlements": t.get("entitlements", []), "limits": t.get("limits", {}),
                               "maxMachines": t.get("maxMachines")} for t in json.loads(data).get("data", [])]
        self.storage.write_json(Storage.TIERS, self._server_tiers)
        return self._server_tiers

    def on_failure(self, handler: Callable[[ClientState], None]) -> None:
        """Calls ``handler(state)`` whenever the client becomes failed."""
        self._handlers.append(handler)

    # Activation and validation --------------------------------------------------------------

    def activate(self, key: str) -> ClientState:
        """Activates this machine with ``key``, stores its token and a signed machine file."""
        fingerprint = self.fingerprint or machine_fingerprint(self.product_id)
        if fingerprint is None:
            raise TollgateError("This platform has no stable machine id: pass fingerprint=…")
        body = {"fingerprint": fingerprint, "name": self.machine_name or socket.gethostname(), "hostname": socket.gethostname(),
                "platform": platform.system().lower(), "cores": os.cpu_count() or 1}
        status, headers, data = self._request("POST", "/v1/machines", body, f"License {key}", required=True)
        answer = json.loads(data)
        claims = self.verifier.token(answer["token"])
        limits = (answer.get("license") or {}).get("limits") or {}
        self.activation = {"licenseKey": key, "licenseId": claims.license, "machineId": claims.machine, "fingerprint": fingerprint,
                           "token": answer["token"], "floating": limits.get("maxMachines") != 1,
                           "heartbeatIntervalSeconds": (answer.get("machine") or {}).get("heartbeatIntervalSeconds")}
        self.storage.write_json(Storage.ACTIVATION, self.activation)
        self._adopt(answer["token"])
        self._refresh_file()
        if self.configured_tiers is None:
            with contextlib.suppress(TollgateError):
                self.refresh_tiers()
        check = self._check_file()
        grace = check.offline_grace_days if check.verified else self._status.offline_grace_days
        return self._apply(self.rules.confirmed(self._status, self._server_time(headers), self.now(), grace))

    def validate(self) -> ClientState:
        """Online when the server answers with a signed answer to this request, else from the file."""
        if not self.activation:
            return self.state
        nonce = secrets.token_hex(16)
        body = {"key": self.activation["licenseKey"], "nonce": nonce,
                "scope": {"productId": self.product_id, "fingerprint": self.activation["fingerprint"]}}
        try:
            status, headers, data = self._request("POST", "/v1/licenses/validate", body)
            if status != 200:
                return self.judge_offline()
            answer = self.verifier.validation_answer(data, headers.get("tollgate-signature"), nonce)
        except (TollgateError, VerificationError):
            return self.judge_offline()
        if answer.valid:
            if self._file_needs_refresh() or (self.configured_tiers is None and not self._server_tiers):
                with contextlib.suppress(TollgateError):
                    self._refresh_file()
                if self.configured_tiers is None:
                    with contextlib.suppress(TollgateError):
                        self.refresh_tiers()
            grace = (answer.license or {}).get("offlineGraceDays") or self._status.offline_grace_days
            return self._apply(self.rules.confirmed(self._status, answer.server_time or self.now(), self.now(), grace))
        return self._apply(self.rules.refused(self._status, reason_for(answer.code) or answer.code))

    def judge_offline(self) -> ClientState:
        """Judges from the stored signed file, without the server."""
        return self._apply(self.rules.offline(self._status, self.now(), self._check_file()))

    def beat(self) -> str:
        """One heartbeat: ``confirmed`` (fresh token), ``refused`` (client failed) or ``unreachable``."""
        if not self.activation:
            return "refused"
        try:
            status, headers, data = self._request("POST", f"/v1/machines/{self.activation['machineId']}/heartbeat",
                                                  None, f"Bearer {self.activation['token']}")
        except TollgateError:
            status = None
        if status is None or status >= 500:
            self.judge_offline()
            return "unreachable"
        answer = _json(data)
        if status == 200 and answer.get("valid") is True and answer.get("token"):
            try:
                self.verifier.token(answer["token"])
            except VerificationError:
                self.judge_offline()
                return "unreachable"
            self.activation = dict(self.activation, token=answer["token"])
            self.storage.write_json(Storage.ACTIVATION, self.activation)
            self._adopt(answer["token"])
            self._apply(self.rules.confirmed(self._status, self._server_time(headers), self.now(), self._status.offline_grace_days))
            return "confirmed"
        self._apply(self.rules.refused(self._status, _refusal(status, answer)))
        return "refused"

    def deactivate(self) -> None:
        """Frees this machine's seat on the server and forgets the activation."""
        if not self.activation:
            return
        status, _, data = self._request("DELETE", f"/v1/machines/{self.activation['machineId']}", None,
                                        f"Bearer {self.activation['token']}")
        if status >= 300 and status != 404:
            raise TollgateError(_message(data), status, _code(data))
        self.storage.remove(Storage.ACTIVATION)
        self.storage.remove(Storage.LICENSE_FILE)
        self.activation, self.claims, self._entitlements = None, None, frozenset()
        self._apply(self.rules.deactivated(self._status))

    # Usage and concurrency ------------------------------------------------------------------

    def record(self, meter: str, quantity: float = 1) -> None:
        """Records usage: on disk (fsync) before it returns; sent by flush_usage()."""
        activation = self.activation or {}
        self.usage.record(meter, quantity, activation.get("licenseId"), activation.get("machineId"))

    def flush_usage(self) -> Dict[str, int]:
        return self.usage.flush()

    def used_this_month(self, meter: str) -> float:
        return self.usage.used_this_month(meter)

    @contextlib.contextmanager
    def execution_slot(self, ttl_seconds: int = 300, holder: Optional[str] = None):
        """Holds one of the license's concurrentExecutions slots (a lease) inside the ``with``
        block, renewed at half its TTL and returned after. Raises TollgateError with
        CONCURRENCY_LIMIT_EXCEEDED when all are taken, or with status None when unreachable."""
        if not self.activation:
            raise LicenseNotUsable(self.state)
        if not self.state.allows_use:
            raise LicenseNotUsable(self.state)
        path = f"/v1/licenses/{self.activation['licenseId']}/leases"
        body = {"ttlSeconds": ttl_seconds, **({"holder": holder} if holder else {})}
        _, _, data = self._request("POST", path, body, f"Bearer {self.activation['token']}", required=True)
        lease = json.loads(data)["id"]
        stop = threading.Event()

        def renew():
            while not stop.wait(ttl_seconds / 2):
                with contextlib.suppress(TollgateError):
                    self._request("POST", f"{path}/{lease}/actions/renew", {"ttlSeconds": ttl_seconds}, f"Bearer {self.activation['token']}")

        renewer = threading.Thread(target=renew, daemon=True)
        renewer.start()
        try:
            yield lease
        finally:
            stop.set()
            with contextlib.suppress(TollgateError):
                self._request("DELETE", f"{path}/{lease}", None, f"Bearer {(self.activation or {}).get('token', '')}")

    # Internals ------------------------------------------------------------------------------

    def _apply(self, status: ClientStatus) -> ClientState:
        with self._lock:
            before = self._status
            self._status = status
            if status != before:
                self.storage.write_json(Storage.STATUS, _status_json(status))
        if status.state.kind == "failed" and before.state != status.state:
            for handler in list(self._handlers):
                handler(status.state)
        return status.state

    @staticmethod
    def _status_from(stored: Dict[str, Any]) -> ClientStatus:
        try:
            return ClientStatus(ClientState(**stored["state"]), stored.get("lastOnlineAt"), stored.get("latestTrustedTime"),
                                stored.get("offlineGraceDays", 30))
        except (TypeError, KeyError):
            return ClientStatus()

    def _adopt(self, token: str) -> None:
        try:
            self.claims = self.verifier.token(token)
            self._entitlements = frozenset(self.claims.entitlements)
        except VerificationError:
            pass

    def _check_file(self) -> FileCheck:
        data = self.storage.read(Storage.LICENSE_FILE)
        if not self.activation or data is None:
            return FileCheck(False, "MISSING")
        try:
            content = self.verifier.license_file(data.decode(), self.now(), self.activation["licenseKey"], self.activation["fingerprint"])
        except VerificationError as error:
            return FileCheck(False, error.code)
        license = content["license"]
        return FileCheck(True, issued_at=parse_time(content["issuedAt"]), offline_grace_days=license["offlineGraceDays"],
                         license_status=license["status"], license_expires_at=parse_time(license.get("expiresAt")))

    def _file_needs_refresh(self) -> bool:
        check = self._check_file()
        return not check.verified or self.now() - check.issued_at > self.rules.refresh_age

    def _refresh_file(self) -> None:
        """Checks out a machine file for the whole offline window and its grace, encrypted to this machine."""
        days = self._status.offline_grace_days + self.rules.extra_grace_days
        _, _, data = self._request("POST", f"/v1/machines/{self.activation['machineId']}/actions/check-out",
                                   {"encrypt": True, "ttlSeconds": min(365, max(1, days)) * 86_400},
                                   f"Bearer {self.activation['token']}", required=True)
        self.storage.write(Storage.LICENSE_FILE, json.loads(data)["file"].encode())

    def _server_time(self, headers: Dict[str, str]) -> float:
        with contextlib.suppress(TypeError, ValueError):
            return email.utils.parsedate_to_datetime(headers["date"]).timestamp()
        return self.now()

    def _send_usage(self, body: dict, key: str) -> Optional[int]:
        token = (self.activation or {}).get("token")
        try:
            return self._request("POST", self.usage_path, body, f"Bearer {token}" if token else None,
                                 headers={"Idempotency-Key": key})[0]
        except TollgateError:
            return None

    def _request(self, method: str, path: str, body: Optional[dict] = None, authorization: Optional[str] = None, *,
                 required: bool = False, headers: Optional[Dict[str, str]] = None) -> Tuple[int, Dict[str, str], bytes]:
        """(status, lower-cased headers, body); raises TollgateError when unreachable, or for a
        non-2xx answer when ``required``."""
        request = urllib.request.Request(self.server_url + path, method=method,
                                         data=None if body is None else json.dumps(body).encode())
        if body is not None:
            request.add_header("Content-Type", "application/json")
        if authorization:
            request.add_header("Authorization", authorization)
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                status, fields, data = answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as error:
            status, fields, data = error.code, error.headers, error.read()
        except (OSError, ValueError) as error:
            raise TollgateError(f"The server could not be reached: {error}") from None
        if required and status >= 300:
            raise TollgateError(_message(data), None if status >= 500 else status, _code(data))
        return status, {name.lower(): value for name, value in fields.items()}, data


def _json(data: bytes) -> Dict[str, Any]:
    try:
        value = json.loads(data)
        return value if isinstance(value, dict) else {}
    except ValueError:
        return {}


def _code(data: bytes) -> Optional[str]:
    return (_json(data).get("error") or {}).get("code")


def _message(data: bytes) -> str:
    return (_json(data).get("error") or {}).get("message") or data.decode(errors="replace")[:200]


def _refusal(status: int, answer: Dict[str, Any]) -> str:
    error = answer.get("error") or {}
    code = error.get("code") or answer.get("code") or f"HTTP_{status}"
    if code == "TOKEN_REVOKED":
        by_status = reason_for(str(error.get("licenseStatus", "")).upper())
        if by_status and by_status != "DEACTIVATED":
            return by_status
    return reason_for(code) or code


def _status_json(status: ClientStatus) -> Dict[str, Any]:
    return {"state": asdict(status.state), "lastOnlineAt": status.last_online_at,
            "latestTrustedTime": status.latest_trusted_time, "offlineGraceDays": status.offline_grace_days}


class HeartbeatWorker:
    """Beats in a daemon thread every ``interval`` seconds while the server confirms; backs off
    exponentially with jitter (from ``initial_backoff``, doubling, capped at ``interval``) while it
    cannot be reached; stops at a refusal (the client is failed and its handlers ran). ``stop()``
    (graceful shutdown) sends buffered usage and deactivates a floating machine."""

    def __init__(self, client: Client, interval: Optional[float] = None, initial_backoff: float = 1.0,
                 deactivate_on_shutdown: bool = True, sleep: Optional[Callable[[float], bool]] = None):
        self.client = client
        self.interval = interval or float((client.activation or {}).get("heartbeatIntervalSeconds") or 600)
        self.initial_backoff = initial_backoff
        self.deactivate_on_shutdown = deactivate_on_shutdown
        self._stop = threading.Event()
        #: Waits the delay; returns True to stop (tests record delays instead).
        self.sleep = sleep or self._stop.wait
        self._thread: Optional[threading.Thread] = None

    def backoff(self, failures: int, jitter: Optional[float] = None) -> float:
        jitter = random.uniform(0.5, 1.0) if jitter is None else jitter
        return min(self.initial_backoff * 2 ** min(max(failures - 1, 0), 30), self.interval) * jitter

    def run(self) -> None:
        """Beats on the calling thread until stopped or refused."""
        failures = 0
        while not self._stop.is_set():
            if not self.client.activation:
                delay = self.interval
            else:
                outcome = self.client.beat()
                if outcome == "refused":
                    return
                if outcome == "confirmed":
                    failures = 0
                    self.client.flush_usage()
                    delay = self.interval
                else:
                    failures += 1
                    delay = self.backoff(failures)
            if self.sleep(delay):
                break

    def start(self) -> "HeartbeatWorker":
        self._thread = threading.Thread(target=self.run, name="tollgate-heartbeat", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stops beating, sends buffered usage and deactivates a floating machine."""
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=self.client.timeout * 2)
        self.client.flush_usage()
        if self.deactivate_on_shutdown and (self.client.activation or {}).get("floating"):
            with contextlib.suppress(TollgateError):
                self.client.deactivate()
