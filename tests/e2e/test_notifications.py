"""Notification emails from a real server to a real SMTP server on loopback (aiosmtpd): each
arrives once, from the configured sender, with the right content and a link that works; without
SMTP settings the log says why nothing was sent."""
import base64
import email
import email.policy
import os
import threading
import time
import urllib.request
import uuid

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from conftest import Server, free_port, issue_license


class Inbox:
    """An SMTP server on a free loopback port that keeps every message it accepts; with
    `tls_context`, it requires STARTTLS, and with `credentials`, AUTH after it."""

    def __init__(self, tls_context=None, credentials=None, implicit_tls=None, only_login=False):
        self.messages = []
        self.lock = threading.Lock()
        inbox = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                message = email.message_from_bytes(envelope.content, policy=email.policy.default)
                with inbox.lock:
                    inbox.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
                return "250 OK"

        self.port = free_port()
        self.logins = []
        options = {}
        if tls_context:
            options.update(tls_context=tls_context, require_starttls=True)
        if credentials:
            def authenticate(server, session, envelope, mechanism, auth_data):
                inbox.logins.append(mechanism)
                ok = (auth_data.login.decode(), auth_data.password.decode()) == credentials
                return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself
            options.update(authenticator=authenticate, auth_required=True, auth_require_tls=bool(tls_context))
        if only_login:
            options["auth_exclude_mechanism"] = ["PLAIN"]
        if implicit_tls:
            # TLS from the first byte (port 465 style); AUTH is then over TLS already.
            options.update(ssl_context=implicit_tls, auth_require_tls=False)
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, server_hostname="localhost", **options)
        self.controller.start()

    def wait_for(self, count, seconds=20):
        deadline = time.time() + seconds
        while time.time() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        with self.lock:
            return list(self.messages)

    def stop(self):
        self.controller.stop()


@pytest.fixture
def inbox():
    running = Inbox()
    yield running
    running.stop()


def smtp_env(inbox, **extra):
    env = {"TOLLGATE_SMTP_HOST": "127.0.0.1", "TOLLGATE_SMTP_PORT": str(inbox.port), "TOLLGATE_SMTP_SECURITY": "none",
           "TOLLGATE_SMTP_FROM": "Acme Licensing <licensing@acme.example>", "TOLLGATE_JOB_POLL_MS": "50"}
    env.update(extra)
    return env


def parts(message):
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def test_a_license_issued_suspended_and_reinstated_sends_one_email_each(tmp_path, inbox):
    server = Server(tmp_path / "data", env=smtp_env(inbox))
    try:
        status, customer = server.json("POST", "/v1/customers", {"name": "Globex", "email": "it@globex.example"})
        assert status == 201
        license = issue_license(server)
        # issue_license made its own customer; this one is for Globex.
        status, license = server.json("POST", "/v1/licenses", {"policyId": license["policyId"], "customerId": customer["id"]})
        assert status == 201, license
        assert server.json("POST", f"/v1/licenses/{license['id']}/actions/suspend")[0] == 200
        assert server.json("POST", f"/v1/licenses/{license['id']}/actions/reinstate")[0] == 200
        got = inbox.wait_for(3)
        time.sleep(1)  # nothing more comes
        got = inbox.wait_for(3)
        to_globex = [(sender, rcpt, message) for sender, rcpt, message in got if rcpt == ["it@globex.example"]]
        subjects = [message["subject"] for _, _, message in to_globex]
        assert len(to_globex) == 3, subjects
        assert [s.split()[-1] for s in subjects] == ["license", "suspended", "again"], subjects
        issued = to_globex[0][2]
        assert to_globex[0][0] == "licensing@acme.example"
        assert str(issued["from"]) == "Acme Licensing <licensing@acme.example>"
        text, html = parts(issued)
        assert license["key"] in text and license["key"] in html and "Hello Globex" in text
        link = next(word for word in text.split() if word.startswith("http"))
        assert link == f"{server.url}/portal"
        with urllib.request.urlopen(link) as page:  # the customer portal's sign-in
            assert page.status == 200 and "Sign in" in page.read().decode()
        ids = {message["message-id"] for _, _, message in to_globex}
        assert len(ids) == 3 and all(i.startswith("<ntf_") for i in ids)
        _, log = server.json("GET", f"/v1/notifications?customerId={customer['id']}")
        assert [n["kind"] for n in log["data"]] == ["license_reinstated", "license_suspended", "license_issued"]
        assert all(n["state"] == "sent" and n["attempts"] == 1 and n["sentAt"] for n in log["data"])
        assert {f"<{n['messageId']}>" for n in log["data"]} == ids
        _, shown = server.json("GET", f"/v1/notifications/{log['data'][2]['id']}")
        assert license["key"] in shown["text"] and shown["subject"] == issued["subject"]
    finally:
        server.stop()


def test_the_unsubscribe_link_of_an_alert_turns_the_alerts_off_and_nothing_else(tmp_path, inbox):
    """A machine-limit alert carries List-Unsubscribe (one-click, RFC 8058) and a link in both
    parts; the link's page asks first, its POST (what a mail client's button sends) turns the
    customer's alerts off, recorded as a change; the next alert is not sent, an essential email
    still is; a wrong secret is a 404 page."""
    server = Server(tmp_path / "data", env=smtp_env(inbox))
    try:
        _, customer = server.json("POST", "/v1/customers", {"name": "Globex", "email": "it@globex.example"})
        _, product = server.json("POST", "/v1/products", {"code": "seats", "name": "Seats"})
        _, policy = server.json("POST", "/v1/policies", {"productId": product["id"], "name": "Two seats", "maxMachines": 2})
        _, license = server.json("POST", "/v1/licenses", {"policyId": policy["id"], "customerId": customer["id"]})
        key = {"Authorization": f"License {license['key']}"}
        for fingerprint in ["fp-1", "fp-2"]:
            assert server.json("POST", "/v1/machines", {"fingerprint": fingerprint}, token=None, headers=key)[0] == 201
        got = inbox.wait_for(2)
        alert = next(message for _, _, message in got if "machine" in message["subject"].lower())
        url = alert["list-unsubscribe"].strip("<>")
        assert alert["list-unsubscribe-post"] == "List-Unsubscribe=One-Click"
        assert url.startswith(f"{server.url}/portal/unsubscribe/ntf_")
        text, html = parts(alert)
        assert url in text and url in html
        issued = next(message for _, _, message in got if message is not alert)
        assert issued["list-unsubscribe"] is None  # essential: no way to turn it off
        with urllib.request.urlopen(url) as page:
            assert page.status == 200 and "Stop these emails" in page.read().decode()
        assert server.json("GET", f"/v1/customers/{customer['id']}")[1]["emailOptOut"] is False
        status, _, body = server.request("POST", url[len(server.url):], raw=b"List-Unsubscribe=One-Click", token=None,
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 200 and "are off" in body.decode(), body
        assert server.json("GET", f"/v1/customers/{customer['id']}")[1]["emailOptOut"] is True
        _, events = server.json("GET", f"/v1/events?type=customer.updated&objectId={customer['id']}")
        assert events["data"][0]["actor"].startswith("unsubscribe:ntf_"), events
        assert server.request("GET", url[len(server.url):-3] + "xyz", token=None)[0] == 404
        # The seats again: one freed, taken again; the alert is not sent now, the suspension email is.
        _, machines = server.json("GET", f"/v1/machines?licenseId={license['id']}")
        assert server.request("DELETE", f"/v1/machines/{machines['data'][0]['id']}")[0] in (200, 204)
        assert server.json("POST", "/v1/machines", {"fingerprint": "fp-3"}, token=None, headers=key)[0] == 201
        assert server.json("POST", f"/v1/licenses/{license['id']}/actions/suspend")[0] == 200
        deadline = time.time() + 20
        while time.time() < deadline:
            _, log = server.json("GET", f"/v1/notifications?customerId={customer['id']}")
            if len(log["data"]) >= 4 and all(n["state"] != "pending" for n in log["data"]):
                break
            time.sleep(0.1)
        states = [(n["kind"], n["state"]) for n in log["data"]]
        assert states[:2] == [("license_suspended", "sent"), ("machine_limit_reached", "not_sent")], states
        assert log["data"][1]["error"] == "not sent: the customer opted out of these emails"
    finally:
        server.stop()


def test_a_customer_user_gets_its_portal_invitation_by_email_and_the_link_works(tmp_path, inbox):
    server = Server(tmp_path / "data", env=smtp_env(inbox))
    try:
        _, customer = server.json("POST", "/v1/customers", {"name": "Globex", "email": "it@globex.example"})
        status, user = server.json("POST", f"/v1/customers/{customer['id']}/users", {"email": "ann@globex.example", "name": "Ann"})
        assert status == 201, user
        got = inbox.wait_for(1)
        assert len(got) == 1 and got[0][1] == ["ann@globex.example"]
        message = got[0][2]
        _, account = server.json("GET", "/v1/account")
        assert message["subject"] == f"Your invitation to the {account['name']} customer portal", message["subject"]
        text, html = parts(message)
        assert user["invitation"]["url"] in text and user["invitation"]["url"] in html and "Hello Ann" in text
        with urllib.request.urlopen(user["invitation"]["url"]) as page:  # the form that sets the password
            body = page.read().decode()
            assert page.status == 200 and "password" in body.lower()
        _, log = server.json("GET", f"/v1/notifications?kind=portal_invitation&objectId={user['id']}")
        assert [n["state"] for n in log["data"]] == ["sent"] and log["data"][0]["customerId"] == customer["id"]
    finally:
        server.stop()


def test_without_smtp_settings_the_log_says_not_sent(tmp_path):
    server = Server(tmp_path / "data", env={"TOLLGATE_JOB_POLL_MS": "50"})
    try:
        status, customer = server.json("POST", "/v1/customers", {"name": "Initech", "email": "it@initech.example"})
        policy = issue_license(server)["policyId"]
        license = server.json("POST", "/v1/licenses", {"policyId": policy, "customerId": customer["id"]})[1]
        deadline = time.time() + 20
        while time.time() < deadline:
            _, log = server.json("GET", f"/v1/notifications?objectId={license['id']}")
            if log["data"] and log["data"][0]["state"] != "pending":
                break
            time.sleep(0.1)
        assert [(n["kind"], n["state"], n["error"]) for n in log["data"]] == [("license_issued", "not_sent", "not sent: no SMTP configured")]
    finally:
        server.stop()


@pytest.mark.skipif(not os.environ.get("TOLLGATE_TEST_DATABASE_URL"), reason="needs PostgreSQL: run through scripts/with-postgres")
def test_two_replicas_send_each_email_once(tmp_path, inbox):
    """Two servers on one PostgreSQL database, both planning and sending: every email arrives
    exactly once (by Message-ID), however the changes are spread over them."""
    env = smtp_env(inbox, TOLLGATE_DATABASE_URL=f"{os.environ['TOLLGATE_TEST_DATABASE_URL']}?schema=n_{uuid.uuid4().hex}",
                   TOLLGATE_KEY_ENCRYPTION_KEY=base64.b64encode(os.urandom(32)).decode())
    a = Server(tmp_path / "a", env=env, wait=False)
    b = Server(tmp_path / "b", env=env, wait=False)
    try:
        a.wait_ready()
        b.wait_ready()
        policy = issue_license(a)["policyId"]
        licenses = []
        for index in range(20):
            server = (a, b)[index % 2]
            _, customer = server.json("POST", "/v1/customers", {"name": f"C{index}", "email": f"c{index}@example.com"})
            status, license = server.json("POST", "/v1/licenses", {"policyId": policy, "customerId": customer["id"]})
            assert status == 201
            licenses.append(license)
        for index, license in enumerate(licenses[:10]):
            assert (b, a)[index % 2].json("POST", f"/v1/licenses/{license['id']}/actions/suspend")[0] == 200
        got = inbox.wait_for(30, seconds=30)
        time.sleep(2)  # nothing more comes
        got = inbox.wait_for(30)
        ids = [message["message-id"] for _, _, message in got]
        assert len(ids) == 30 and len(set(ids)) == 30, f"{len(ids)} emails, {len(set(ids))} distinct"
        _, log = a.json("GET", "/v1/notifications?state=sent&limit=100")
        assert len(log["data"]) == 30 and all(n["attempts"] == 1 for n in log["data"])
    finally:
        a.stop()
        b.stop()


def test_starttls_with_a_verified_certificate_and_auth(tmp_path):
    """STARTTLS against a server whose certificate the operator's CA file vouches for, then AUTH;
    the same server with a certificate nobody vouches for gets nothing (the email stays pending
    and says why), and wrong credentials fail the email for good (535)."""
    import ssl
    import subprocess
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    runs = [("trusted", {"TOLLGATE_SMTP_PASSWORD": "s3cret", "TOLLGATE_SMTP_CA_FILE": str(cert)}),
            ("untrusted", {"TOLLGATE_SMTP_PASSWORD": "s3cret"}),
            ("wrong password", {"TOLLGATE_SMTP_PASSWORD": "nope", "TOLLGATE_SMTP_CA_FILE": str(cert)})]
    outcomes, inboxes = {}, {}
    for name, extra in runs:
        # An SMTP server each: aiosmtpd is not itself after a refused handshake.
        inbox = inboxes[name] = Inbox(tls_context=context, credentials=("mailer", "s3cret"))
        env = smtp_env(inbox, TOLLGATE_SMTP_HOST="localhost", TOLLGATE_SMTP_SECURITY="starttls", TOLLGATE_SMTP_USER="mailer", **extra)
        server = Server(tmp_path / name.replace(" ", "-"), env=env)
        try:
            _, customer = server.json("POST", "/v1/customers", {"name": "Globex", "email": "it@globex.example"})
            server.json("POST", f"/v1/customers/{customer['id']}/users", {"email": "ann@globex.example", "name": "Ann"})
            deadline = time.time() + 20
            while time.time() < deadline:
                _, log = server.json("GET", "/v1/notifications?kind=portal_invitation")
                entry = log["data"][0] if log["data"] else {}
                if entry.get("state") != "pending" or (name == "untrusted" and entry.get("error")):
                    break
                time.sleep(0.1)
            outcomes[name] = entry
        finally:
            server.stop()
            inbox.stop()
    assert outcomes["trusted"]["state"] == "sent", outcomes["trusted"]
    assert len(inboxes["trusted"].messages) == 1 and inboxes["trusted"].messages[0][1] == ["ann@globex.example"]
    assert outcomes["untrusted"]["state"] == "pending" and "certificate" in outcomes["untrusted"]["error"].lower(), outcomes["untrusted"]
    assert outcomes["wrong password"]["state"] == "failed" and "535" in outcomes["wrong password"]["error"], outcomes["wrong password"]
    assert inboxes["trusted"].logins == ["PLAIN"] and not inboxes["untrusted"].logins, "no credentials before a verified handshake"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # aiosmtpd's flag; the whole session is TLS here
def test_implicit_tls_and_auth_login(tmp_path):
    """TOLLGATE_SMTP_SECURITY=tls: TLS from the first byte against a certificate the CA file
    vouches for, then AUTH LOGIN when that is the only mechanism the server offers."""
    import ssl
    import subprocess
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    inbox = Inbox(credentials=("mailer", "s3cret"), implicit_tls=context, only_login=True)
    env = smtp_env(inbox, TOLLGATE_SMTP_HOST="localhost", TOLLGATE_SMTP_SECURITY="tls", TOLLGATE_SMTP_USER="mailer",
                   TOLLGATE_SMTP_PASSWORD="s3cret", TOLLGATE_SMTP_CA_FILE=str(cert))
    server = Server(tmp_path / "data", env=env)
    try:
        _, customer = server.json("POST", "/v1/customers", {"name": "Globex", "email": "it@globex.example"})
        server.json("POST", f"/v1/customers/{customer['id']}/users", {"email": "ann@globex.example", "name": "Ann"})
        got = inbox.wait_for(1)
        assert len(got) == 1 and got[0][1] == ["ann@globex.example"], got
        assert inbox.logins == ["LOGIN"], inbox.logins
        _, log = server.json("GET", "/v1/notifications?kind=portal_invitation")
        assert log["data"][0]["state"] == "sent", log
    finally:
        server.stop()
        inbox.stop()
