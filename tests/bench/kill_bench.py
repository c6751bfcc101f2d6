#!/usr/bin/env python3
"""kill_bench.py - how fast the kill switch acts, measured on real processes.

usage: tests/bench/kill_bench.py [--build DIR] [--orders N] [--routes R]
       [--reps N] [--triggers N] [--breaches N] [--sync yes|no] [--keep]

Three measurements, each against a fresh riskgwd (a new journal), venue-sim
and router-sims over mutual TLS 1.3 on loopback:

  cancel    R routes, N orders open at a venue that never fills them (N/R
            per route); SIGUSR1 trips the kill switch. riskgwd's status gives
            the time from the trip to every cancel queued on its venue
            session (sweep_ms) and to the venue having confirmed them all
            (all_closed_ms: the last cancel report read). --reps times.
  trigger   the time from a trigger to the kill in force: the bench reads
            CLOCK_REALTIME just before it sends the trigger, riskgwd records
            CLOCK_REALTIME when the kill state changes (the kill record's
            time_ns): a KILL on the control socket (this script speaks the
            protocol itself, no riskgwctl start-up in the way) and its reply
            (after the journal commit and fsync: "durable"), SIGUSR1, and
            the GPIO button (a gpio_v2_line_event record written to the
            FIFO of [gpio] events-from, when this riskgwd has it). Each
            --triggers times, with a two-person reset in between.
  breach    a child order beyond its parent's quantity: from the check's
            verdict to the kill in force (status block_us), and proof by
            counts that nothing after it was forwarded: the venue received
            exactly the orders riskgwd had forwarded at the trip.
            --breaches times (a reset, then the runaway router again).

Prints a table; --keep keeps the temporary directory. KILLBENCH_PERF=FILE
profiles riskgwd (perf record -g -e cpu-clock) around each cancel-all;
KILLBENCH_GW_WRAP="valgrind --tool=callgrind --toggle-collect=route_cancel_where"
runs riskgwd under valgrind (same PID: the signals reach riskgwd). Builds nothing: use
a -O2 build without sanitizers (docs/bench.md).
"""
import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

CTL_MAGIC, CTL_VERSION = 0x52474354, 1
T_STATUS, T_KILL, T_RESET_REQUEST, T_RESET_APPROVE = 1, 5, 6, 7
T_ERROR = 0xFFFF


def pct(v, p):
    v = sorted(v)
    if not v:
        return float("nan")
    k = min(len(v) - 1, max(0, int(round(p / 100.0 * (len(v) - 1)))))
    return v[k]


class Bench:
    def __init__(self, a):
        self.a = a
        self.b = a.build
        self.t = tempfile.mkdtemp(prefix="riskgw-killbench-")
        self.procs = []
        self.pki = os.path.join(self.t, "pki")
        subprocess.run(["sh", os.path.join(a.src, "certs/mkcerts.sh"), self.pki, str(a.routes)],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.gw = None
        self.venue = None

    # ---- processes ----------------------------------------------------------------
    def spawn(self, args, out, err=None):
        p = subprocess.Popen(args, stdout=open(out, "w"),
                             stderr=open(err or out + ".err", "w"))
        self.procs.append(p)
        return p

    def stop(self, p):
        if p is None or p.poll() is not None:
            return
        p.terminate()
        try:
            p.wait(3)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        if self.a.keep:
            print("kept", self.t, file=sys.stderr)
        else:
            shutil.rmtree(self.t, ignore_errors=True)

    def wait_file(self, path, secs=15):
        end = time.time() + secs
        while time.time() < end:
            if os.path.exists(path) and os.path.getsize(path) > 0:
                return open(path).read().strip()
            time.sleep(0.05)
        raise RuntimeError("no " + path)

    def rules(self, parents_per_route, qty):
        ctl = os.path.join(self.b, "riskgwctl")
        db = os.path.join(self.t, "rules.mdb")
        if os.path.exists(db):
            os.unlink(db)
        subprocess.run([ctl, "-f", db, "init"], check=True, stdout=subprocess.DEVNULL)
        for r in range(1, self.a.routes + 1):
            g = os.path.join(self.t, "g%d.csv" % r)
            subprocess.run([os.path.join(self.b, "tests/sim/router-sim"), "--gen-parents",
                            str(parents_per_route), "--seed", str(r), "--sender", "ROUTER%d" % r,
                            "--write-parents", g], check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            lines = open(g).read().splitlines()
            hdr = lines[0].split(",")
            out = [lines[0]]
            for ln in lines[1:]:
                f = ln.split(",")
                f[0] = "B%d%s" % (r, f[0])
                f[hdr.index("qty")] = str(qty)
                out.append(",".join(f))
            open(os.path.join(self.t, "parents%d.csv" % r), "w").write("\n".join(out) + "\n")
            subprocess.run([ctl, "-f", db, "parents", "import-csv", "--who", "bench", "--reason",
                            "bench", os.path.join(self.t, "parents%d.csv" % r)], check=True,
                           stdout=subprocess.DEVNULL)

    def start_venue(self, fill):
        port = os.path.join(self.t, "venue.port")
        if os.path.exists(port):
            os.unlink(port)
        self.vstats = os.path.join(self.t, "venue.json")
        self.venue = self.spawn([os.path.join(self.b, "tests/sim/venue-sim"), "--cert",
                                 self.pki + "/venue.crt", "--key", self.pki + "/venue.key",
                                 "--ca", self.pki + "/ca.crt", "--port-file", port,
                                 "--stats-file", self.vstats, "--stats-orders", "0", "--quiet",
                                 "--fill", fill], os.path.join(self.t, "venue.out"))
        self.vport = int(self.wait_file(port))

    def venue_stats(self):
        if os.path.exists(self.vstats):
            os.unlink(self.vstats)
        self.venue.send_signal(signal.SIGUSR2)
        end = time.time() + 5
        while time.time() < end:
            try:
                return json.load(open(self.vstats))
            except (OSError, ValueError):
                time.sleep(0.05)
        raise RuntimeError("no venue stats")

    def start_gw(self, extra=""):
        for f in os.listdir(self.t):
            if f.startswith("journal.mdb"):
                os.unlink(os.path.join(self.t, f))
        self.sock = os.path.join(self.t, "control.sock")
        conf = ["[gateway]", "listen = 127.0.0.1:0", "cert = %s/riskgwd.crt" % self.pki,
                "key = %s/riskgwd.key" % self.pki, "client-ca = %s/ca.crt" % self.pki,
                "journal = %s/journal.mdb" % self.t, "rules = %s/rules.mdb" % self.t,
                "control = %s" % self.sock, "sync-commit = %s" % self.a.sync,
                "max-orders = 1000000", "control-delegates = root", "reset-operators = alice bob",
                extra]
        for r in range(1, self.a.routes + 1):
            conf += ["", "[route r%d]" % r, "fix-version = FIX.4.4",
                     "router-comp-id = ROUTER%d" % r, "gateway-comp-id = RISKGW",
                     "router-identity = router%d" % r, "venue = 127.0.0.1:%d" % self.vport,
                     "venue-name = localhost", "venue-ca = %s/ca.crt" % self.pki,
                     "venue-cert = %s/riskgwd.crt" % self.pki,
                     "venue-key = %s/riskgwd.key" % self.pki,
                     "venue-sender-comp-id = RGW%d" % r, "venue-target-comp-id = VENUE",
                     "parent-tag = 583"]
        cf = os.path.join(self.t, "riskgwd.conf")
        open(cf, "w").write("\n".join(conf) + "\n")
        pf = os.path.join(self.t, "gw.port")
        if os.path.exists(pf):
            os.unlink(pf)
        self.gwlog = os.path.join(self.t, "gw.log")
        wrap = os.environ.get("KILLBENCH_GW_WRAP", "").split()
        self.gw = self.spawn(wrap + [os.path.join(self.b, "riskgwd"), "-d", "-P", pf, "-c", cf],
                             os.path.join(self.t, "gw.out"), self.gwlog)
        self.gport = int(self.wait_file(pf))
        end = time.time() + 20
        while time.time() < end:
            if open(self.gwlog).read().count("venue: logged on") >= self.a.routes:
                return
            time.sleep(0.05)
        raise RuntimeError("riskgwd did not log on to the venue")

    def router(self, r, args, name, parents=None):
        parents = parents or os.path.join(self.t, "parents%d.csv" % r)
        return self.spawn([os.path.join(self.b, "tests/sim/router-sim"), "--connect",
                           "127.0.0.1:%d" % self.gport, "--server-name", "localhost", "--ca",
                           self.pki + "/ca.crt", "--cert", self.pki + "/router%d.crt" % r,
                           "--key", self.pki + "/router%d.key" % r, "--sender", "ROUTER%d" % r,
                           "--target", "RISKGW", "--parents", parents, "--json",
                           "--quiet"] + args,
                          os.path.join(self.t, name + ".json"), os.path.join(self.t, name + ".txt"))

    # ---- the control protocol ------------------------------------------------------
    def ctl(self, typ, body=None, conn=None):
        own = conn is None
        if own:
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            conn.connect(self.sock)
        payload = json.dumps(body).encode() if body else b""
        conn.sendall(struct.pack(">IHHII", CTL_MAGIC, CTL_VERSION, typ, len(payload), 1) + payload)
        hdr = b""
        while len(hdr) < 16:
            hdr += conn.recv(16 - len(hdr))
        _, _, rtype, n, _ = struct.unpack(">IHHII", hdr)
        data = b""
        while len(data) < n:
            data += conn.recv(n - len(data))
        if own:
            conn.close()
        reply = json.loads(data) if data else {}
        if rtype == T_ERROR:
            raise RuntimeError("riskgwd: %s" % reply)
        return reply

    def status(self):
        return self.ctl(T_STATUS)["kill"]

    def reset(self):
        self.ctl(T_RESET_REQUEST, {"who": "alice", "reason": "bench"})
        self.ctl(T_RESET_APPROVE, {"who": "bob"})

    def wait_tripped(self, since_ns, secs=5):
        end = time.time() + secs
        while time.time() < end:
            k = self.status()
            if k["state"] == "tripped" and k["time_ns"] >= since_ns:
                return k
            time.sleep(0.0005)
        raise RuntimeError("the kill switch did not trip")

    # ---- measurements ----------------------------------------------------------------
    def m_cancel(self):
        a = self.a
        per = a.orders // a.routes
        self.rules(100, 10 ** 9)
        res = []
        for rep in range(a.reps):
            self.start_venue("none")
            self.start_gw()
            rs = [self.router(r, ["--window", "64", "--count", str(per), "--child-qty", "100",
                                  "--drain-ms", "500", "--id-prefix", "K%d-%d-" % (rep, r)],
                              "cancel-r%d" % r) for r in range(1, a.routes + 1)]
            for p in rs:
                p.wait()
            open_n = self.venue_stats()["open_orders"]
            perf = None
            if os.environ.get("KILLBENCH_PERF"):
                perf = subprocess.Popen(["perf", "record", "-q", "-g", "-e", "cpu-clock", "-p",
                                         str(self.gw.pid), "-o",
                                         "%s.%d" % (os.environ["KILLBENCH_PERF"], rep)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(1)
            t0 = time.time_ns()
            self.gw.send_signal(signal.SIGUSR1)
            k = self.wait_tripped(t0)
            end = time.time() + 60
            while k.get("all_closed_ms") is None and time.time() < end:
                time.sleep(0.02)
                k = self.status()
            if perf is not None:
                perf.send_signal(signal.SIGINT)
                perf.wait()
            v = self.venue_stats()
            res.append({"open": open_n, "cancels": k["sweep_cancels"], "sweep_ms": k["sweep_ms"],
                        "closed_ms": k["all_closed_ms"], "venue_open_after": v["open_orders"],
                        "confirmed": v["cancels_confirmed"]})
            print("  cancel rep %d: %d open, %d cancels queued in %.2f ms, all confirmed after "
                  "%s ms, venue open after: %d" % (rep + 1, open_n, k["sweep_cancels"],
                                                  k["sweep_ms"], k["all_closed_ms"],
                                                  v["open_orders"]), file=sys.stderr)
            self.stop(self.gw)
            self.stop(self.venue)
        return res

    def m_trigger(self):
        a = self.a
        self.rules(10, 1000)
        self.start_venue("full")
        fifo = os.path.join(self.t, "gpio.fifo")
        os.mkfifo(fifo)
        extra = "\n[gpio]\nevents-from = %s\nline = 17\nedge = falling\ndebounce-ms = 1\n" % fifo
        gpio = True
        try:
            self.start_gw(extra)
        except RuntimeError:
            gpio = False
            self.stop(self.gw)
            self.start_gw()
        fw = os.open(fifo, os.O_RDWR | os.O_NONBLOCK) if gpio else None
        out = {"control socket (in force)": [], "control socket (reply, durable)": [],
               "SIGUSR1": []}
        if gpio:
            out["GPIO button"] = []
        seq = 0
        for i in range(a.triggers):
            # control socket
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.connect(self.sock)
            t0 = time.time_ns()
            self.ctl(T_KILL, {"who": "alice", "reason": "bench %d" % i}, conn=c)
            t1 = time.time_ns()
            c.close()
            k = self.wait_tripped(t0)
            out["control socket (in force)"].append((k["time_ns"] - t0) / 1e3)
            out["control socket (reply, durable)"].append((t1 - t0) / 1e3)
            self.reset()
            # signal
            t0 = time.time_ns()
            self.gw.send_signal(signal.SIGUSR1)
            k = self.wait_tripped(t0)
            out["SIGUSR1"].append((k["time_ns"] - t0) / 1e3)
            self.reset()
            if gpio:
                time.sleep(0.003)  # beyond the debounce window
                seq += 1
                # struct gpio_v2_line_event: u64 timestamp_ns, u32 id (2 = falling),
                # u32 offset, u32 seqno, u32 line_seqno, u32 padding[6]
                rec = struct.pack("<QIIII6I", time.monotonic_ns(), 2, 17, seq, seq, *([0] * 6))
                t0 = time.time_ns()
                os.write(fw, rec)
                k = self.wait_tripped(t0)
                out["GPIO button"].append((k["time_ns"] - t0) / 1e3)
                self.reset()
        self.stop(self.gw)
        self.stop(self.venue)
        return out

    def m_breach(self):
        a = self.a
        self.rules(a.breaches, 1000)
        self.start_venue("full")
        self.start_gw()
        lines = open(os.path.join(self.t, "parents1.csv")).read().splitlines()
        res = []
        for i in range(a.breaches):
            # a parent of its own each time: one that breached stays blocked after a reset
            one = os.path.join(self.t, "one%d.csv" % i)
            open(one, "w").write(lines[0] + "\n" + lines[1 + i] + "\n")
            p = self.router(1, ["--runaway", "--window", "8", "--slices", "4", "--count", "40",
                                "--drain-ms", "300", "--id-prefix", "X%d-" % i], "breach", one)
            p.wait()
            time.sleep(0.2)
            k = self.status()
            if k["state"] != "tripped":
                raise RuntimeError("the runaway router did not trip the kill switch")
            v = self.venue_stats()
            res.append({"block_us": k["block_us"], "fwd_at_trip": k["forwarded_at_trip"],
                        "venue_received": v["orders_received"]})
            self.reset()
        # the counts: per iteration, what was forwarded at the trip must be
        # all that reached the venue by the next check
        self.stop(self.gw)
        self.stop(self.venue)
        return res


def main():
    ap = argparse.ArgumentParser()
    src = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--build", default=os.path.join(src, "build/bench"))
    ap.add_argument("--orders", type=int, default=10000)
    ap.add_argument("--routes", type=int, default=4)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--triggers", type=int, default=50)
    ap.add_argument("--breaches", type=int, default=10)
    ap.add_argument("--sync", default="yes", choices=("yes", "no"))
    ap.add_argument("--only", default="cancel,trigger,breach")
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    a.src = src
    for x in ("riskgwd", "riskgwctl", "tests/sim/venue-sim", "tests/sim/router-sim"):
        if not os.access(os.path.join(a.build, x), os.X_OK):
            sys.exit("kill_bench.py: %s/%s is not built" % (a.build, x))
    b = Bench(a)
    try:
        load = os.getloadavg()[0]
        print("kill switch bench: %d routes, sync-commit = %s, load average %.2f"
              % (a.routes, a.sync, load))
        only = a.only.split(",")
        if "cancel" in only:
            res = b.m_cancel()
            print("\n| cancel all, %d open orders over %d routes (%d reps) | median | max |"
                  % (a.orders, a.routes, a.reps))
            print("|---|---:|---:|")
            sw = [r["sweep_ms"] for r in res]
            cl = [r["closed_ms"] for r in res if r["closed_ms"] is not None]
            print("| trip -> every cancel queued, ms | %.2f | %.2f |" % (statistics.median(sw), max(sw)))
            if cl:
                print("| trip -> every cancel confirmed by the venue, ms | %.1f | %.1f |"
                      % (statistics.median(cl), max(cl)))
            print("| cancels sent / open orders | %s |  |" % ", ".join(
                "%d/%d" % (r["cancels"], r["open"]) for r in res))
            print("| open at the venue afterwards | %s |  |" % ", ".join(
                str(r["venue_open_after"]) for r in res))
        if "trigger" in only:
            out = b.m_trigger()
            print("\n| trigger -> kill in force, us (%d each) | median | p90 | p99 | max |" % a.triggers)
            print("|---|---:|---:|---:|---:|")
            for k, v in out.items():
                print("| %s | %.0f | %.0f | %.0f | %.0f |" % (k, statistics.median(v), pct(v, 90),
                                                            pct(v, 99), max(v)))
            if "GPIO button" not in out:
                print("(this riskgwd has no [gpio] events-from: the GPIO row is missing)")
        if "breach" in only:
            res = b.m_breach()
            bl = [r["block_us"] for r in res]
            print("\n| breach -> blocked (%d breaches) | median | max |" % a.breaches)
            print("|---|---:|---:|")
            print("| check verdict -> kill in force, us | %.1f | %.1f |" % (statistics.median(bl), max(bl)))
            print("| forwarded at the trip == received by the venue | %s |  |" % ", ".join(
                "%d=%d" % (r["fwd_at_trip"], r["venue_received"]) for r in res))
    finally:
        b.cleanup()


if __name__ == "__main__":
    main()
