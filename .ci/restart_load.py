#!/usr/bin/env python3
"""The HTTP side of .ci/restart-test (standard library only).

Runs a write load (concurrent writers creating draft documents) against a running service,
restarts its private PostgreSQL instance in the middle of it with pg_ctl, and then checks:
every acknowledged write is readable, the service recovered within --max-recovery seconds
of PostgreSQL accepting connections again, and no answer was anything but 2xx or 503.
All times are seconds on one monotonic clock, printed relative to the start of the load.
Exits 1 with the reasons when a check fails."""
import argparse
import collections
import http.client
import json
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

START = time.monotonic()


def now():
    return time.monotonic() - START


def log(message):
    print(f"[{now():7.2f}s] {message}", flush=True)


class Api:
    """One keep-alive connection; reopened after any failure so a dead socket is not reused."""

    def __init__(self, base, timeout, token=None):
        url = urllib.parse.urlsplit(base)
        self.host, self.port, self.timeout, self.token, self.conn = url.hostname, url.port, timeout, token, None

    def call(self, method, path, body=None):
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self.conn.request(method, path, None if body is None else json.dumps(body), headers)
            response = self.conn.getresponse()
            data = response.read()
            if response.will_close:
                self.close()
            return response.status, data
        except BaseException:
            self.close()
            raise

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def writer(number, args, token, run, stop, results, lock):
    """Creates documents until told to stop; records every attempt as (done, outcome, id, title)."""
    api, attempt = Api(args.base, args.timeout, token), 0
    while not stop.is_set():
        attempt += 1
        title = f"restart-test {run} writer {number} #{attempt}"
        try:
            status, data = api.call("POST", "/api/v1/documents", {"kind": "method", "title": title})
            if 200 <= status < 300:
                outcome, doc_id = "ok", json.loads(data)["id"]
            else:
                outcome, doc_id = f"HTTP {status}", None
                detail = data[:200].decode("utf-8", "replace")
        except Exception as error:  # a timeout or a dropped connection counts as a failure
            status, outcome, doc_id, detail = None, f"{type(error).__name__}: {error}", None, ""
        done = now()
        with lock:
            results.append((done, outcome, doc_id, title))
        if outcome != "ok":
            if status != 503:
                log(f"writer {number}: {outcome} {detail}")
            time.sleep(0.1)  # as a well-behaved client would: do not hammer a failing service


def pg(args, *command):
    """pg_ctl as the owner of the data directory (PostgreSQL refuses to run as root)."""
    prefix = ["runuser", "-u", args.pg_user, "--"] if args.pg_user else []
    subprocess.run(prefix + [f"{args.pg_bin}/pg_ctl", "-D", args.pg_data, *command],
                   check=True, stdout=subprocess.DEVNULL)


def pg_ready(args):
    command = [f"{args.pg_bin}/pg_isready", "-q", "-h", "127.0.0.1", "-p", args.pg_port, "-U", "postgres"]
    return subprocess.run(command).returncode == 0


def verify(args, token, acknowledged):
    """GETs every acknowledged document with a few parallel readers; returns the missing ones."""
    missing, lock = [], threading.Lock()

    def read(chunk):
        api = Api(args.base, args.timeout, token)
        for doc_id, title in chunk:
            try:
                status, data = api.call("GET", f"/api/v1/documents/{doc_id}")
                ok = status == 200 and json.loads(data).get("title") == title
                reason = "" if ok else f"HTTP {status}"
            except Exception as error:
                ok, reason = False, f"{type(error).__name__}: {error}"
            if not ok:
                with lock:
                    missing.append((doc_id, title, reason))

    readers = [threading.Thread(target=read, args=(acknowledged[i::4],)) for i in range(4)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    return missing


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    for name in ("base", "email", "password", "pg-bin", "pg-data", "pg-port", "pg-log"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--pg-user", default="", help="run pg_ctl as this user (when root)")
    parser.add_argument("--writers", type=int, default=4)
    # The service waits up to 5 s for a database connection before it answers 503, so a
    # client timeout of 5 s would race it; what takes longer than 10 s counts as a hang.
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    parser.add_argument("--before", type=float, default=5.0, help="load seconds before the stop")
    parser.add_argument("--down", type=float, default=3.0, help="seconds PostgreSQL stays down")
    parser.add_argument("--after", type=float, default=15.0, help="load seconds after it is back")
    parser.add_argument("--max-recovery", type=float, default=10.0)
    args = parser.parse_args()

    status, data = Api(args.base, args.timeout).call(
        "POST", "/api/v1/auth/login", {"email": args.email, "password": args.password})
    if status != 200:
        sys.exit(f"login failed: HTTP {status} {data[:200]!r}")
    token = json.loads(data)["access_token"]  # lives 15 minutes, far longer than this run

    run, stop, results, lock = uuid.uuid4().hex[:8], threading.Event(), [], threading.Lock()
    # Daemons, so that a failing pg_ctl ends the run instead of leaving the writers going.
    threads = [threading.Thread(target=writer, args=(n, args, token, run, stop, results, lock), daemon=True)
               for n in range(1, args.writers + 1)]
    log(f"{args.writers} writers start (run {run})")
    for thread in threads:
        thread.start()
    time.sleep(args.before)
    stop_begin = now()
    log("pg_ctl stop -m fast")
    pg(args, "-m", "fast", "stop")  # waits until the server is down
    stop_done = now()
    log("PostgreSQL is down")
    time.sleep(args.down)
    log("pg_ctl start")
    pg(args, "-l", args.pg_log, "-W", "start")  # -W: we time readiness ourselves, with pg_isready
    while not pg_ready(args):
        if now() - stop_done > 60:
            sys.exit("PostgreSQL did not come back within 60 s")
        time.sleep(0.05)
    ready = now()
    log("pg_isready: PostgreSQL accepts connections again")
    time.sleep(args.after)
    stop.set()
    for thread in threads:
        thread.join()
    log("writers stopped")

    with lock:
        results.sort()
    acked = [(doc_id, title) for done, outcome, doc_id, title in results if outcome == "ok"]
    missing = verify(args, token, acked)
    # A write acknowledged after the stop finished reached the restarted server. pg_isready is
    # polled, so one may land just before `ready` is noted: that counts as recovery 0.
    first_after = next((t for t, outcome, _, _ in results if outcome == "ok" and t >= stop_done), None)
    recovery = None if first_after is None else max(0.0, first_after - ready)
    phases = collections.Counter(
        "before" if done < stop_begin else "during" if done < ready else "after"
        for done, outcome, _, _ in results if outcome == "ok")
    unavailable = [done for done, outcome, _, _ in results if outcome == "HTTP 503"]
    others = collections.Counter(r[1] for r in results if r[1] not in ("ok", "HTTP 503"))
    status, data = Api(args.base, args.timeout, token).call("GET", "/api/v1/documents?status=draft&limit=1")
    stored = json.loads(data)["total"] if status == 200 else None

    print("\nAnswers per second, relative to the stop (2xx / 503 / other):")
    buckets = collections.defaultdict(collections.Counter)
    for done, outcome, _, _ in results:
        kind = "2xx" if outcome == "ok" else "503" if outcome == "HTTP 503" else "other"
        buckets[int((done - stop_begin) // 1)][kind] += 1
    for second in range(min(buckets), max(buckets) + 1):  # seconds without any answer, too
        b = buckets[second]
        print(f"  {second:+4d}s  {b['2xx']:5d} / {b['503']:3d} / {b['other']:3d}")
    print(f"\nPostgreSQL stopped at {stop_begin:.2f}s (down at {stop_done:.2f}s), ready at {ready:.2f}s")
    print(f"acknowledged writes: {len(acked)} (before {phases['before']}, during {phases['during']}, "
          f"after {phases['after']})")
    print(f"503 answers: {len(unavailable)} at " + (", ".join(f"{t:.2f}s" for t in unavailable) or "-"))
    print(f"other failures: {sum(others.values())} {dict(others)}")
    print(f"drafts stored: {stored} (acknowledged {len(acked)}; more means a refused write was kept)")
    print("recovery: " + ("no successful write after the restart" if recovery is None else
                          f"{recovery:.2f}s from pg_isready to the first successful write"))
    print(f"acknowledged writes readable: {len(acked) - len(missing)} of {len(acked)}")
    for doc_id, title, reason in missing[:20]:
        print(f"  missing: {doc_id} {title!r}: {reason}")

    failures = []
    if missing:
        failures.append(f"{len(missing)} acknowledged writes are not readable")
    if recovery is None or recovery > args.max_recovery:
        failures.append(f"no recovery within {args.max_recovery:g}s of PostgreSQL being ready")
    if others:
        failures.append(f"answers other than 2xx and 503: {dict(others)}")
    if not phases["before"] or not phases["after"]:
        failures.append("the load did not write both before and after the restart")
    if failures:
        sys.exit("\n".join(f"FAIL: {failure}" for failure in failures))
    print("restart test: OK")


if __name__ == "__main__":
    main()
