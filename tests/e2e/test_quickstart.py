"""The README quickstart, pasted line by line into bash against a real server."""
import os
import re
import subprocess

from conftest import ADMIN_TOKEN, ROOT, Server, free_port


def quickstart_script():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- quickstart:begin -->\n```sh\n(.*?)```\n<!-- quickstart:end -->", readme, re.S).group(1)
    return block


def walk_through(name, url, cwd=None, port_placeholder=None, port=None, env=None):
    """Runs the README's block between `<!-- name:begin -->` and `<!-- name:end -->` in bash
    against the server at `url`, with the quickstart's two exports; its stdout, once it passed."""
    readme = (ROOT / "README.md").read_text()
    script = re.search(rf"<!-- {name}:begin -->\n```sh\n(.*?)```\n<!-- {name}:end -->", readme, re.S).group(1)
    if port_placeholder:
        script = script.replace(port_placeholder, port)
    prelude = f"export TOLLGATE_TOKEN={ADMIN_TOKEN}\nexport TOLLGATE_URL={url}\nexport PATH=\"$PWD/.build/debug:$PATH\"\n"
    if cwd:
        prelude += f"cd {cwd}\n"
    result = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", prelude + script], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_readme_quickstart_works_when_pasted(server):
    script = quickstart_script()
    script = script.replace("tga_paste_the_token_the_server_printed", ADMIN_TOKEN)
    script = script.replace("http://127.0.0.1:8080", server.url)
    try:
        result = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    finally:
        (ROOT / "jwks.json").unlink(missing_ok=True)
        (ROOT / "machine.lic").unlink(missing_ok=True)
    output = result.stdout
    assert result.returncode == 0, output + result.stderr
    assert '"code":"VALID"' in output
    assert "VALID  valid=true" in output
    assert "VALID: Signature valid." in output
    assert "build-01" in output and "alive" in output
    assert '"code":"VALID","licenseStatus":"active","message":"The token is valid.","valid":true' in output
    assert "VALID: signature, issue time and expiry check out, bound to this machine." in output
    assert "SUSPENDED  valid=false" in output
    assert "refused, as it should be" in output
    assert "license.suspended" in output and "license.reinstated" in output
    assert "Audit chain intact" in output


def test_readme_metering_walk_through_works_when_pasted(server):
    output = walk_through("metering", server.url, env=dict(os.environ, PYTHONPATH=str(ROOT / "sdk" / "python")))
    assert '"accepted":2' in output and '"duplicates":2' in output
    assert "status  accepted" in output
    assert "python sdk:" in output
    # The quota table: 4 of 5 used by then; the sixth export refused at the blocking limit.
    assert re.search(r"^exports\s+month\s+4\s+5\s+1\s+0\s+block", output, re.M), output
    assert "suggested tier: Starter" in output
    assert "fits: true, allowed: true, used 4 of 5" in output
    assert '"code":"USAGE_LIMIT_REACHED"' in output and "limit reached, as it should be" in output
    # The chart's data: five exports today, in the day's row and in the month's CSV line.
    assert re.search(r"^\d{4}-\d\d-\d\dT00:00:00Z\s+5\s+5$", output, re.M), output
    assert re.search(r"^start,end,events,value\n\d{4}-\d\d-01T00:00:00Z,\d{4}-\d\d-01T00:00:00Z,5,5$", output, re.M), output


def test_first_start_prints_a_generated_token_once(tmp_path):
    from conftest import Server
    import os
    first = Server(tmp_path / "data", env={"TOLLGATE_ADMIN_TOKEN": ""})
    try:
        printed = re.search(r"export TOLLGATE_TOKEN=(tga_\w+)", first.read_stdout())
        assert printed, first.read_stdout()
        assert first.request("GET", "/v1/products", token=printed.group(1))[0] == 200
    finally:
        assert first.stop() == 0
    second = Server(tmp_path / "data", env={"TOLLGATE_ADMIN_TOKEN": ""})
    try:
        assert "TOLLGATE_TOKEN" not in second.read_stdout()
    finally:
        second.stop()


def test_readme_webhooks_walk_through_works_when_pasted(tmp_path):
    port = str(free_port())
    server = Server(tmp_path / "data", env={"TOLLGATE_WEBHOOK_ALLOW": "loopback"})
    try:
        output = walk_through("webhooks", server.url, cwd=tmp_path, port_placeholder="8099", port=port)
    finally:
        server.stop()
    assert '"eventType":"webhook_endpoint.pinged"' in output
    verified = re.findall(r"^verified \d+ (\S+) ", output, re.M)
    assert sorted(verified) == ["license.created", "license.reinstated", "license.suspended", "webhook_endpoint.pinged"], output
    assert '"attempts":[{' in output and '"manual":true' in output, output


def test_readme_rate_limits_walk_through_works_when_pasted(server):
    readme = (ROOT / "README.md").read_text()
    printed = re.search(r"<!-- ratelimits:end -->\n\nIt prints:\n\n```\n(.*?)```", readme, re.S).group(1)
    output = walk_through("ratelimits", server.url)
    # What the README says it prints, but for the admin token's remaining count, which depends on
    # the requests the walk-through's commands made with it.
    expected = printed.strip().splitlines()
    got = output.strip().splitlines()
    # Seconds may read one less when a second passed between the commands (the limiter's clock is real time).
    def close(a, b):
        return a == b or (a.isdigit() and b.isdigit() and 0 <= int(b) - int(a) <= 1)
    assert len(got) == 5 and all(len(g.split()) == len(e.split()) and all(close(x, y) for x, y in zip(g.split(), e.split()))
                                 for g, e in zip(got[:4], expected[:4])), output
    assert re.fullmatch(r"RateLimit-Limit: 6000 RateLimit-Remaining: 59\d\d RateLimit-Reset: \d+", got[4]), output


def test_readme_notifications_walk_through_works_when_pasted(tmp_path):
    port = str(free_port())
    server = Server(tmp_path / "data", env={"TOLLGATE_SMTP_HOST": "127.0.0.1", "TOLLGATE_SMTP_PORT": port, "TOLLGATE_SMTP_SECURITY": "none",
                                            "TOLLGATE_SMTP_FROM": "licensing@example.com", "TOLLGATE_JOB_POLL_MS": "100"})
    try:
        output = walk_through("notifications", server.url, cwd=tmp_path, port_placeholder="8025", port=port)
    finally:
        server.stop()
    mails = re.findall(r"^mail: <?([^\s>]+)>? \| (.*)$", output, re.M)
    # mails() prints the whole box each time: 1, then 2, then 3 lines.
    assert mails[:1] == [("it@hooli.example", "Your Mailed license")], output
    assert mails[1:3] == [("it@hooli.example", "Your Mailed license"), ("it@hooli.example", "Welcome to Mailed, Hooli")], output
    assert mails[3:5] == mails[1:3] and len(mails) == 6 and "All 2 machines" in mails[5][1], output
    assert "template: license_issued custom True" in output
    assert "will no longer send renewal reminders or usage and machine-limit alerts to it@hooli.example" in output
    assert "emailOptOut: True" in output
    log = re.findall(r"^(license_issued|machine_limit_reached) (\w+) ", output, re.M)
    assert log == [("machine_limit_reached", "sent"), ("license_issued", "sent"), ("license_issued", "sent")], output
