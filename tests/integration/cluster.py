"""Harness for integration tests that start real shardtrack processes.

Pieces:
  - Process: one subprocess whose stderr is read by a thread; waits for its `ready:` line
    (bounded), keeps its log for failure messages, and can be killed, restarted and stopped.
  - Cluster: N shards on free loopback ports plus M frontends (`--port 0`), in a temp dir;
    a context manager that always stops everything and removes the temp dir.
  - Node: shardtrack-node, a frontend and its shards in one process. Both it and Frontend
    are Trackers: `port` and `udp_port` come from the ready line.
  - free_port() / free_udp_port(): a TCP or UDP port below the ephemeral range, never the same
    one twice; frontend_refused(): a frontend that must refuse its settings (exit status 2).
  - LoggedTestCase / ProcessTestCase: failures end with the processes' logs; the latter also
    owns a temp dir and the processes it started.
  - HttpConnection: a tiny raw HTTP/1.1 client over a socket (optional source address), so
    tests can send malformed bytes, pipeline and reuse a connection.
  - bdecode: a strict bencode decoder (sorted unique dict keys, canonical integers, no trailing
    bytes).
  - announce(), scrape(), get(): one request on a fresh connection, reply decoded;
    served_announce() / first_served(): an announce polled until it is served.
  - metrics(), metric_sum(), shard_requests_sent(): the Prometheus samples.
  - wait_until(): polls a condition, failing after a deadline.
  - shard_for() / hash_on_shard(): the routing function (jump consistent hash of the
    infohash's first 8 bytes, big-endian) so tests can pick a torrent on a given shard.

Standard library only; every wait is bounded.
"""

import hashlib
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_BIN_DIR = os.path.join(HERE, "..", "..", "build", "bin")
READY_TIMEOUT = 15.0  # seconds a process may take to log its ready line
STOP_TIMEOUT = 5.0  # seconds between SIGTERM and SIGKILL
LOG_TAIL_LINES = 40


def bin_dir():
    return os.environ.get("SHARDTRACK_BIN_DIR") or DEFAULT_BIN_DIR


def binary(name):
    path = os.path.join(bin_dir(), name)
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"{path} is missing or not executable (set SHARDTRACK_BIN_DIR)")
    return path


_ports_handed_out = set()  # never hands a port out twice in one test process, TCP or UDP


def _free_port(kind, host):
    """A port of `kind` (SOCK_STREAM, SOCK_DGRAM) that could be bound on `host` a moment ago.

    It is drawn below the kernel's ephemeral range: a port there (bind to 0) may be taken as the
    source port of a parallel test's outgoing connection or datagram before our process binds
    it. And it is never one this process handed out before, so two processes never get the same
    port."""
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        first_ephemeral = int(f.read().split()[0])
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(200):
        port = random.randrange(20000, first_ephemeral)
        if port in _ports_handed_out:
            continue
        with socket.socket(family, kind) as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
        _ports_handed_out.add(port)
        return port
    kind_name = "TCP" if kind == socket.SOCK_STREAM else "UDP"
    raise RuntimeError(f"no free {kind_name} port below the ephemeral range")


def free_port(host="127.0.0.1"):
    """A TCP port free on `host` a moment ago, for a process the test starts to bind (see
    _free_port: below the ephemeral range, never handed out twice)."""
    return _free_port(socket.SOCK_STREAM, host)


def free_udp_port(host="127.0.0.1"):
    """A UDP port free on `host` a moment ago, for a frontend's --udp-port; chosen as free_port
    chooses a TCP one."""
    return _free_port(socket.SOCK_DGRAM, host)


def free_listen_port():
    """free_port on every address: for a peer that listens on 0.0.0.0 itself."""
    return free_port("0.0.0.0")


def clean_env(extra=None):
    """The test's environment without stray SHARDTRACK_* settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("SHARDTRACK_") or k == "SHARDTRACK_BIN_DIR"}
    env.update(extra or {})
    return env


WAIT_DEADLINE = 10.0  # seconds wait_until polls by default


def wait_until(predicate, what, deadline=WAIT_DEADLINE):
    """Polls `predicate` until it is true; fails naming `what` after `deadline` seconds."""
    end = time.monotonic() + deadline
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError(f"not within {deadline} s: {what}")
        time.sleep(0.05)


# --------------------------------------------------------------------------------------------
# Routing (mirrors common/routing.cc).

def jump_consistent_hash(key, buckets):
    """Lamping & Veach's jump consistent hash of a uint64 key over `buckets` buckets."""
    mask = (1 << 64) - 1
    bucket, following = -1, 0
    while following < buckets:
        bucket = following
        key = (key * 2862933555777941757 + 1) & mask
        following = int(float(bucket + 1) * (float(1 << 31) / float((key >> 33) + 1)))
    return bucket


def shard_for(info_hash, shard_count):
    return jump_consistent_hash(int.from_bytes(info_hash[:8], "big"), shard_count)


def hash_on_shard(shard, shard_count, label):
    """A deterministic 20-byte infohash, derived from `label`, that routes to `shard`."""
    for counter in range(10000):
        candidate = hashlib.sha1(f"{label}/{counter}".encode()).digest()
        if shard_for(candidate, shard_count) == shard:
            return candidate
    raise AssertionError(f"no hash for shard {shard}/{shard_count}")


def peer_id(label):
    """A deterministic 20-byte peer id."""
    return (b"-ST0001-" + hashlib.sha1(label.encode()).digest())[:20]


# --------------------------------------------------------------------------------------------
# Processes.

class Process:
    """A subprocess whose stderr (and stdout) is collected line by line by a reader thread."""

    def __init__(self, name, argv, ready_pattern, env=None, cwd=None):
        self.name = name
        self.argv = list(argv)
        self.ready_pattern = re.compile(ready_pattern)
        self.env = env
        self.cwd = cwd
        self.popen = None
        self.ready_match = None
        self._lines = []
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._reader = None
        self._starts = 0

    def start(self, timeout=READY_TIMEOUT):
        if self.running():
            raise RuntimeError(f"{self.name} is already running")
        self._starts += 1
        self._append(f"----- start #{self._starts}: {' '.join(self.argv)}")
        self._ready.clear()
        self.ready_match = None
        self.popen = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      env=self.env, cwd=self.cwd)
        self._reader = threading.Thread(target=self._read, args=(self.popen,), daemon=True)
        self._reader.start()
        self.wait_ready(timeout)
        return self

    def _read(self, popen):
        for raw in iter(popen.stdout.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self._append(line)
            if not self._ready.is_set():
                match = self.ready_pattern.search(line)
                if match:
                    self.ready_match = match
                    self._ready.set()
        popen.stdout.close()

    def _append(self, line):
        with self._lock:
            self._lines.append(line)

    def wait_ready(self, timeout=READY_TIMEOUT):
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.05):
            if self.popen.poll() is not None:
                self._reader.join(1.0)  # collect the last lines before reporting
                if self._ready.is_set():
                    break
                raise RuntimeError(f"{self.name} exited with code {self.popen.returncode} "
                                   f"before it was ready\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} was not ready within {timeout} s "
                                   f"(no line matching {self.ready_pattern.pattern!r})\n"
                                   f"{self.log_tail()}")

    def running(self):
        return self.popen is not None and self.popen.poll() is None

    def log(self):
        with self._lock:
            return "\n".join(self._lines)

    def logged(self, text, timeout=5.0):
        """Whether `text` shows up in the log within `timeout` (another thread reads it)."""
        deadline = time.monotonic() + timeout
        while text not in self.log():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def log_tail(self, lines=LOG_TAIL_LINES):
        with self._lock:
            tail = self._lines[-lines:]
        return f"--- {self.name} log (last {len(tail)} lines) ---\n" + "\n".join(tail)

    def kill(self, sig=signal.SIGKILL, timeout=STOP_TIMEOUT):
        """Sends `sig`; for SIGKILL (or any fatal signal) waits until the process is gone."""
        if not self.running():
            return
        self.popen.send_signal(sig)
        if sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGINT):
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout)
            self._reader.join(1.0)

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM, then SIGKILL after `timeout`. Returns the exit code."""
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            self.popen.terminate()
            self.popen.send_signal(signal.SIGCONT)  # a stopped process cannot act on SIGTERM
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self._append(f"----- {self.name} ignored SIGTERM for {timeout} s; SIGKILL")
                self.popen.kill()
                self.popen.wait(timeout)
        if self._reader is not None:
            self._reader.join(1.0)
        return self.popen.returncode

    def restart(self, timeout=READY_TIMEOUT):
        self.stop()
        return self.start(timeout)

    def metrics_port(self):
        """The port of `--metrics-listen 127.0.0.1:0`, from the start-up log."""
        match = re.search(r"metrics: http://127\.0\.0\.1:(\d+)/metrics", self.log())
        assert match, self.log_tail()
        return int(match.group(1))


class Shard(Process):
    def __init__(self, index, count, port, data_dir, extra_args=(), env=None):
        self.index, self.count, self.port, self.data_dir = index, count, port, data_dir
        self.endpoint = f"tcp://127.0.0.1:{port}"
        os.makedirs(data_dir, exist_ok=True)
        argv = [binary("shardtrack-shard"), "--index", str(index), "--count", str(count),
                "--listen", self.endpoint, "--data-dir", data_dir, *extra_args]
        pattern = re.escape(f"ready: shard {index}/{count} listening on {self.endpoint}")
        super().__init__(f"shard{index}", argv, pattern, env=env)


class Tracker(Process):
    """A process that serves clients (a frontend, a node): its ready line names its HTTP port
    and, given --udp-port, its UDP tracker's."""

    @property
    def port(self):
        return int(self.ready_match.group(1))

    @property
    def udp_port(self):
        """The UDP tracker's port, from the ready line's `and udp://HOST:PORT`."""
        match = re.search(r" and udp://(?:\[[^\]]*\]|[^\s:/]+):(\d+)", self.ready_match.string)
        assert match, f"{self.name} serves no UDP: {self.ready_match.string}"
        return int(match.group(1))


class Frontend(Tracker):
    def __init__(self, number, shard_endpoints, extra_args=(), env=None, port=0,
                 bind="127.0.0.1"):
        self.bind = bind
        argv = [binary("shardtrack-frontend"), "--bind", bind, "--port", str(port)]
        for endpoint in shard_endpoints:
            argv += ["--shard", endpoint]
        argv += list(extra_args)
        url_host = f"[{bind}]" if ":" in bind else bind
        pattern = r"ready: frontend listening on http://" + re.escape(url_host) + r":(\d+)"
        super().__init__(f"frontend{number}", argv, pattern, env=env)


class Node(Tracker):
    """shardtrack-node: a frontend and `shards` shards in one process, over `data_dir`."""

    def __init__(self, shards, data_dir, extra_args=(), env=None):
        os.makedirs(data_dir, exist_ok=True)
        argv = [binary("shardtrack-node"), "--bind", "127.0.0.1", "--port", "0",
                "--shards", str(shards), "--data-dir", data_dir, *extra_args]
        pattern = r"ready: frontend listening on http://127\.0\.0\.1:(\d+)"
        super().__init__("node", argv, pattern, env=env)


def frontend_refused(*args, timeout=READY_TIMEOUT):
    """Runs shardtrack-frontend with `args` (after a --shard nobody listens on), settings it must
    refuse at start: fails unless it exits with status 2 within `timeout`. Returns its stderr,
    for what it names."""
    argv = [binary("shardtrack-frontend"), "--port", "0", "--shard",
            f"tcp://127.0.0.1:{free_port()}", *args]
    try:
        result = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                timeout=timeout, env=clean_env())
    except subprocess.TimeoutExpired as expired:
        stderr = expired.stderr or b""  # bytes, even with text=True
        if isinstance(stderr, bytes):
            stderr = stderr.decode("utf-8", "replace")
        raise AssertionError(f"shardtrack-frontend {' '.join(args)} did not stop within "
                             f"{timeout} s\n{stderr}") from None
    if result.returncode != 2:
        raise AssertionError(f"shardtrack-frontend {' '.join(args)} exited with "
                             f"{result.returncode}, not 2\n{result.stderr}")
    return result.stderr


HAPROXY = "/usr/sbin/haproxy"


class Haproxy(Process):
    """Debian's haproxy in the foreground (-db) on `config`, whose "${VAR}"s come from
    `variables`; with `master_worker` as compose runs it (-W: SIGUSR2 reloads). Ready once it
    accepts connections on 127.0.0.1:`port` and, with -W, its master catches SIGUSR2 (which it
    ignores for a moment after the worker is up: a reload sent then is lost)."""

    def __init__(self, config, variables, port, env=None, master_worker=False):
        self.port = port
        environment = dict(env if env is not None else clean_env())
        environment.update(variables)
        self.master_worker = master_worker
        mode = ["-W"] if master_worker else []
        super().__init__("haproxy", [HAPROXY, *mode, "-db", "-f", config], r"(?!)",
                         env=environment)

    def catches_sigusr2(self):
        """Whether the master has its SIGUSR2 handler yet: until then it ignores a reload."""
        with open(f"/proc/{self.popen.pid}/status") as f:
            caught = next(line for line in f if line.startswith("SigCgt:")).split()[1]
        return int(caught, 16) & (1 << (signal.SIGUSR2 - 1)) != 0

    def wait_ready(self, timeout=READY_TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            if self.popen.poll() is not None:
                self._reader.join(1.0)
                raise RuntimeError(f"haproxy exited with code {self.popen.returncode}\n"
                                   f"{self.log_tail()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1.0).close()
                if not self.master_worker or self.catches_sigusr2():
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"haproxy did not listen on {self.port} (and, with -W, catch "
                                   f"SIGUSR2) within {timeout} s\n{self.log_tail()}")
            time.sleep(0.05)


def self_signed_certificate(directory, host="127.0.0.1"):
    """A fresh self-signed certificate for `host` (and localhost), made with Debian's openssl.
    Returns (haproxy's PEM: certificate then key, the certificate alone: a client's CA file)."""
    key, cert = os.path.join(directory, "tls.key"), os.path.join(directory, "tls.crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                    "/CN=shardtrack test", "-addext", f"subjectAltName=IP:{host},DNS:localhost",
                    "-keyout", key, "-out", cert], check=True, capture_output=True, timeout=30)
    pem = os.path.join(directory, "tracker.pem")
    with open(pem, "wb") as out:
        for part in (cert, key):
            with open(part, "rb") as f:
                out.write(f.read())
    return pem, cert


class StaticDns:
    """A tiny DNS server on 127.0.0.1 (UDP) that answers every A query with `addresses`
    (settable while it runs) and every other query with no answer. Stands in for Docker's
    embedded DNS, which names each replica of a scaled service."""

    def __init__(self, addresses):
        self.addresses = list(addresses)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def close(self):
        self._stop.set()
        self._thread.join(2.0)
        self.sock.close()

    def _serve(self):
        while not self._stop.is_set():
            try:
                query, client = self.sock.recvfrom(4096)
            except (socket.timeout, TimeoutError):
                continue
            except OSError:
                return
            reply = self.answer(query)
            if reply:
                self.sock.sendto(reply, client)

    def answer(self, query):
        if len(query) < 12 or int.from_bytes(query[4:6], "big") != 1:
            return None
        end = 12
        while end < len(query) and query[end] != 0:
            end += 1 + query[end]
        question = query[12:end + 5]  # name, its terminating zero, type and class
        if len(question) < 5:
            return None
        qtype = int.from_bytes(question[-4:-2], "big")
        answers = self.addresses if qtype == 1 else []
        header = query[:2] + b"\x85\x80" + (1).to_bytes(2, "big") + \
            len(answers).to_bytes(2, "big") + b"\x00\x00\x00\x00"
        records = b"".join(b"\xc0\x0c\x00\x01\x00\x01" + (1).to_bytes(4, "big") +
                           b"\x00\x04" + socket.inet_aton(address) for address in answers)
        return header + question + records


class Cluster:
    """`shards` shards and `frontends` frontends on loopback, in a temp dir.

    Use as a context manager; everything is stopped and removed on exit, even on failure.
    """

    def __init__(self, shards=2, frontends=1, shard_args=(), frontend_args=(), env=None):
        self.shard_count = shards
        self.frontend_count = frontends
        self.shard_args = list(shard_args)
        self.frontend_args = list(frontend_args)
        self.env = clean_env(env)
        self.tmp = None
        self.shards = []
        self.frontends = []

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def start(self):
        self.tmp = tempfile.mkdtemp(prefix="shardtrack-itest-")
        for index in range(self.shard_count):
            shard = Shard(index, self.shard_count, free_port(),
                          os.path.join(self.tmp, f"shard{index}"), self.shard_args, self.env)
            self.shards.append(shard)
            shard.start()
        endpoints = [shard.endpoint for shard in self.shards]
        for number in range(self.frontend_count):
            frontend = Frontend(number, endpoints, self.frontend_args, self.env)
            self.frontends.append(frontend)
            frontend.start()

    def close(self):
        for process in self.frontends + self.shards:
            try:
                process.stop()
            except Exception:  # keep stopping the others
                pass
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def port(self, frontend=0):
        return self.frontends[frontend].port

    def logs(self):
        return "\n".join(p.log_tail() for p in self.frontends + self.shards)

    def hash_on_shard(self, shard, label):
        return hash_on_shard(shard, self.shard_count, label)


class LoggedTestCase(unittest.TestCase):
    """A TestCase whose failures and errors end with the processes' logs (`logs()`)."""

    def logs(self):
        return ""

    def run(self, result=None):
        if result is None:
            return super().run(result)
        marks = (len(result.failures), len(result.errors))
        outcome = super().run(result)
        for outcomes, mark in zip((result.failures, result.errors), marks):
            for i in range(mark, len(outcomes)):
                test, text = outcomes[i]
                try:
                    text += "\n" + self.logs()
                except Exception as error:  # never hide the failure itself
                    text += f"\n(logs unavailable: {error})"
                outcomes[i] = (test, text)
        return outcome


class ProcessTestCase(LoggedTestCase):
    """A test with its own temp dir (`self.tmp`) and processes started through `start()`, all
    stopped and removed after it; failures end with their logs."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="shardtrack-itest-")
        self.processes = []

    def tearDown(self):
        for process in self.processes:
            process.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def logs(self):
        return "\n".join(p.log_tail() for p in self.processes)

    def start(self, process):
        self.processes.append(process)
        process.start()
        return process


# --------------------------------------------------------------------------------------------
# Strict bencode.

class BencodeError(ValueError):
    pass


def bdecode(data):
    """Decodes one bencoded value that must span all of `data`; strings stay bytes."""
    value, end = _decode(data, 0)
    if end != len(data):
        raise BencodeError(f"{len(data) - end} trailing bytes after the value")
    return value


def _decode(data, pos):
    if pos >= len(data):
        raise BencodeError("truncated")
    lead = data[pos:pos + 1]
    if lead == b"i":
        end = data.find(b"e", pos)
        if end < 0:
            raise BencodeError("unterminated integer")
        text = data[pos + 1:end]
        if not re.fullmatch(rb"0|-?[1-9][0-9]*", text):
            raise BencodeError(f"non-canonical integer {text!r} at {pos}")
        return int(text), end + 1
    if lead == b"l":
        pos += 1
        items = []
        while data[pos:pos + 1] != b"e":
            item, pos = _decode(data, pos)
            items.append(item)
        return items, pos + 1
    if lead == b"d":
        pos += 1
        result = {}
        previous = None
        while data[pos:pos + 1] != b"e":
            if data[pos:pos + 1] == b"":
                raise BencodeError("unterminated dict")
            key, pos = _decode(data, pos)
            if not isinstance(key, bytes):
                raise BencodeError("dict key is not a string")
            if previous is not None and key <= previous:
                raise BencodeError(f"dict keys unsorted or repeated at {key!r}")
            previous = key
            result[key], pos = _decode(data, pos)
        return result, pos + 1
    if lead.isdigit():
        colon = data.find(b":", pos)
        if colon < 0:
            raise BencodeError("string length without colon")
        text = data[pos:colon]
        if not re.fullmatch(rb"0|[1-9][0-9]*", text):
            raise BencodeError(f"non-canonical string length {text!r} at {pos}")
        end = colon + 1 + int(text)
        if end > len(data):
            raise BencodeError("truncated string")
        return data[colon + 1:end], end
    raise BencodeError(f"unexpected byte {lead!r} at {pos}")


def compact_peers(blob, entry=6):
    """[(ip, port)] from a compact peer string (6-byte IPv4 or 18-byte IPv6 entries)."""
    if len(blob) % entry:
        raise AssertionError(f"compact peers length {len(blob)} is not a multiple of {entry}")
    family = socket.AF_INET if entry == 6 else socket.AF_INET6
    return [(socket.inet_ntop(family, blob[i:i + entry - 2]),
             int.from_bytes(blob[i + entry - 2:i + entry], "big"))
            for i in range(0, len(blob), entry)]


def reply_peers(reply):
    """[(ip, port)] from an announce reply, compact or not."""
    peers = reply[b"peers"]
    if isinstance(peers, bytes):
        return compact_peers(peers)
    return [(p[b"ip"].decode(), p[b"port"]) for p in peers]


# --------------------------------------------------------------------------------------------
# Raw HTTP.

class Response:
    def __init__(self, status, reason, version, headers, body):
        self.status, self.reason, self.version = status, reason, version
        self.headers = headers  # lower-case name -> value (last wins)
        self.body = body

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def bencoded(self):
        return bdecode(self.body)

    def __repr__(self):
        return f"<Response {self.status} {self.reason} {self.body[:200]!r}>"


class HttpConnection:
    """One client TCP connection; send raw bytes and read responses one at a time."""

    def __init__(self, port, host="127.0.0.1", source=None, timeout=5.0):
        self.timeout = timeout
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            self.sock.settimeout(timeout)
            if source:
                self.sock.bind((source, 0))
            self.sock.connect((host, port))
        except BaseException:
            self.sock.close()
            raise
        self.buffer = b""
        self.eof = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def request(self, method, target, headers=None, body=b"", version="HTTP/1.1"):
        lines = [f"{method} {target} {version}", "Host: 127.0.0.1"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if body:
            lines.append(f"Content-Length: {len(body)}")
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)

    def get(self, target, headers=None):
        self.request("GET", target, headers)
        return self.read_response()

    def _fill(self):
        chunk = self.sock.recv(65536)  # raises socket.timeout after self.timeout
        if not chunk:
            self.eof = True
        self.buffer += chunk
        return bool(chunk)

    def _read_until(self, marker):
        while marker not in self.buffer:
            if not self._fill():
                raise ConnectionError(f"connection closed before {marker!r}; "
                                      f"have {self.buffer[:200]!r}")
        head, _, self.buffer = self.buffer.partition(marker)
        return head

    def _read_exactly(self, count):
        while len(self.buffer) < count:
            if not self._fill():
                raise ConnectionError(f"connection closed {count - len(self.buffer)} bytes short")
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def read_response(self, head_request=False):
        head = self._read_until(b"\r\n\r\n").decode("latin-1")
        status_line, *header_lines = head.split("\r\n")
        match = re.fullmatch(r"(HTTP/\d\.\d) (\d{3})(?: (.*))?", status_line)
        if not match:
            raise AssertionError(f"bad status line {status_line!r}")
        headers = {}
        for line in header_lines:
            name, sep, value = line.partition(":")
            if not sep:
                raise AssertionError(f"bad header line {line!r}")
            headers[name.strip().lower()] = value.strip()
        status = int(match.group(2))
        if head_request or status in (204, 304) or 100 <= status < 200:
            body = b""
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            body = self._read_chunked()
        elif "content-length" in headers:
            body = self._read_exactly(int(headers["content-length"]))
        else:
            while self._fill():
                pass
            body, self.buffer = self.buffer, b""
        return Response(status, match.group(3) or "", match.group(1), headers, body)

    def _read_chunked(self):
        body = b""
        while True:
            size = int(self._read_until(b"\r\n").split(b";")[0], 16)
            if size == 0:
                self._read_until(b"\r\n")
                return body
            body += self._read_exactly(size)
            self._read_exactly(2)

    def closed_by_peer(self, timeout=2.0):
        """True if the server closes the connection within `timeout` (no further bytes)."""
        self.sock.settimeout(timeout)
        try:
            while self._fill():
                pass
            return True
        except (socket.timeout, TimeoutError):
            return False
        except ConnectionResetError:
            return True
        finally:
            self.sock.settimeout(self.timeout)


def quote(value):
    if isinstance(value, bytes):
        return urllib.parse.quote_from_bytes(value, safe="")
    return urllib.parse.quote(str(value), safe="")


def query_string(params):
    """`params` is a list of (name, value) pairs or a dict; None values are left out."""
    items = params.items() if isinstance(params, dict) else params
    return "&".join(f"{name}={quote(value)}" for name, value in items if value is not None)


def announce_target(info_hash, peer, port, uploaded=0, downloaded=0, left=0, event=None,
                    compact=None, numwant=None, no_peer_id=None, ip=None, extra=()):
    params = [("info_hash", info_hash), ("peer_id", peer), ("port", port),
              ("uploaded", uploaded), ("downloaded", downloaded), ("left", left),
              ("event", event), ("compact", compact), ("numwant", numwant),
              ("no_peer_id", no_peer_id), ("ip", ip), *extra]
    return "/announce?" + query_string(params)


def get(port, target, source=None, timeout=5.0, host="127.0.0.1"):
    """One GET on a fresh connection."""
    with HttpConnection(port, host=host, source=source, timeout=timeout) as conn:
        return conn.get(target)


def announce(tracker_port, info_hash, peer, port, source=None, timeout=5.0, **fields):
    """Announces and returns the decoded reply; fails unless the status is 200."""
    response = get(tracker_port, announce_target(info_hash, peer, port, **fields), source,
                   timeout)
    if response.status != 200:
        raise AssertionError(f"announce got {response.status} {response.reason}: "
                             f"{response.body[:300]!r}")
    return response.bencoded()


SERVE_DEADLINE = 15.0  # seconds a tracker may take to serve, its shards connecting or back


def first_served(ask, what, deadline=SERVE_DEADLINE, retry_errors=False):
    """Calls `ask()` (an announce: its decoded reply) until a reply has no failure reason, while
    the tracker's shards connect or come back, and returns that reply. A request that fails
    outright (a refused connection, a status other than 200, a timeout) fails the test at once,
    unless `retry_errors` (a tracker itself restarting), when it is not served yet either.
    Fails naming `what` and the last reply or error after `deadline` seconds."""
    end = time.monotonic() + deadline
    retried = (AssertionError, OSError) if retry_errors else ()  # timeouts are OSErrors
    while True:
        try:
            reply = ask()
            if b"failure reason" not in reply:
                return reply
            last = reply
        except retried as error:
            last = error
        if time.monotonic() > end:
            raise AssertionError(f"{what} not served within {deadline} s; last {last!r}")
        time.sleep(0.1)


def served_announce(tracker_port, info_hash, peer, port, deadline=SERVE_DEADLINE, **fields):
    """announce() (same arguments) polled until it is served: see first_served."""
    return first_served(lambda: announce(tracker_port, info_hash, peer, port, **fields),
                        f"an announce of {info_hash.hex()}", deadline)


def parse_metrics(text):
    """{'name{labels}': value} from the Prometheus text format; checks HELP/TYPE come first."""
    samples, typed = {}, set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
        elif line and not line.startswith("#"):
            series, value = line.rsplit(" ", 1)
            family = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", series).group(0)
            base = re.sub(r"_(bucket|sum|count)$", "", family)
            assert family in typed or base in typed, f"sample before its TYPE: {line}"
            samples[series] = float(value)
    return samples


def metrics(port, host="127.0.0.1"):
    with HttpConnection(port, host=host) as conn:
        response = conn.get("/metrics")
    assert response.status == 200, response
    assert response.header("content-type").startswith("text/plain; version=0.0.4"), response
    return parse_metrics(response.body.decode())


def metric_sum(port, name, host="127.0.0.1"):
    """The sum of `name`'s samples at `port`: a metric's over all its label sets (name{...}),
    or one series' own value."""
    return sum(value for series, value in metrics(port, host).items()
               if series == name or series.startswith(name + "{"))


def shard_requests_sent(port, host="127.0.0.1"):
    """How many requests the frontend at `port` has sent its shards, all of them together."""
    return metric_sum(port, "shardtrack_shard_sent_total", host)


# A scrape's entry for a torrent without peers or completions (one no shard holds, or one an
# access list refuses).
NO_COUNTS = {b"complete": 0, b"downloaded": 0, b"downloaders": 0, b"incomplete": 0}


def scrape(tracker_port, info_hashes=(), source=None, timeout=5.0, host="127.0.0.1"):
    """Scrapes (no hashes: full scrape) and returns the decoded reply's `files` dict."""
    target = "/scrape"
    if info_hashes:
        target += "?" + query_string([("info_hash", h) for h in info_hashes])
    response = get(tracker_port, target, source, timeout, host)
    if response.status != 200:
        raise AssertionError(f"scrape got {response.status}: {response.body[:300]!r}")
    reply = response.bencoded()
    if b"files" not in reply:
        raise AssertionError(f"scrape reply without files: {reply!r}")
    return reply[b"files"]


class SharedClusterTestCase(LoggedTestCase):
    """One cluster for the whole class, shaped by the class attributes below."""

    shards = 1
    frontends = 1
    shard_args = ()
    frontend_args = ()

    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster(shards=cls.shards, frontends=cls.frontends,
                              shard_args=cls.shard_args, frontend_args=cls.frontend_args)
        cls.cluster.__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close()

    def logs(self):
        return self.cluster.logs()
