"""The docker-compose topology as plain processes on loopback.

Debian's haproxy runs the repo's deploy/haproxy.cfg (its ${VARS} set to loopback ports) in front
of 2 frontends that trust only 127.0.0.1 (haproxy's source address) for PROXY headers; they are
found through a tiny DNS server, as Docker's DNS names each replica. Clients bind to 127.0.0.2,
127.0.0.3, ... and must see each other's real addresses. Frontends listen on 127.0.1.1 and
127.0.1.2 (one port, like replicas of one compose service). The compose file's UDP frontend runs
its own command and environment from docker-compose.yml, its volume a temporary directory.
"""

import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import tempfile
import time
import unittest

import yaml

import cluster
from cluster import (HttpConnection, announce, announce_target, get, metrics, peer_id,
                     reply_peers, wait_until)
from test_udp import UdpClient, announce_fields

REPO = os.path.abspath(os.path.join(cluster.HERE, "..", ".."))
HAPROXY_CFG = os.path.join(REPO, "deploy", "haproxy.cfg")
FRONTEND_ADDRESSES = ["127.0.1.1", "127.0.1.2"]
WAIT = 20.0  # seconds any awaited state may take
CLIENT_CONNECTIONS = 8  # haproxy's per-client cap in these tests (compose: 256)
# Requests one client may make in any 10 s through haproxy (compose: 1000); above what any other
# test sends from one address.
CLIENT_REQUESTS = 30


def proxy_v1(source, port, dest="127.0.1.1", dest_port=6969):
    return f"PROXY TCP4 {source} {dest} {port} {dest_port}\r\n".encode()


def proxy_v2(source, port, dest="127.0.1.1", dest_port=6969):
    body = socket.inet_aton(source) + socket.inet_aton(dest) + struct.pack("!HH", port, dest_port)
    return b"\r\n\r\n\x00\r\nQUIT\n" + bytes([0x21, 0x11]) + struct.pack("!H", len(body)) + body


def request_bytes(target):
    return f"GET {target} HTTP/1.1\r\nHost: tracker\r\n\r\n".encode()


def compose_service(name):
    with open(os.path.join(REPO, "docker-compose.yml")) as compose:
        return yaml.safe_load(compose)["services"][name]


class ComposeUdpFrontend(cluster.Process):
    """The compose file's `udp` service: its command and environment, with its volume (/data) in
    `data_dir`, its address loopback and its ports free ones."""

    def __init__(self, data_dir, shard_endpoints, env):
        service = compose_service("udp")
        self.udp_port = cluster.free_udp_port()
        self.secret_file = os.path.join(data_dir, "udp-secret")
        variables = {name: str(value).replace("/data", data_dir)
                     for name, value in service["environment"].items()}
        variables.update(SHARDTRACK_BIND="127.0.0.1", SHARDTRACK_PORT="0",
                         SHARDTRACK_UDP_PORT=str(self.udp_port),
                         SHARDTRACK_SHARD=",".join(shard_endpoints))
        env = {**env, **variables, "PATH": cluster.bin_dir() + os.pathsep + env["PATH"]}
        command = [part.replace("/data", data_dir) for part in service["command"]]
        super().__init__("udp", command, r"ready: frontend listening on http://127\.0\.0\.1:",
                         env=env)


class Topology:
    """Shards, frontends, DNS and haproxy (and with `udp` the UDP frontend), started in order
    and always stopped."""

    def __init__(self, shards=2, frontend_args=(), haproxy_variables=None, udp=False,
                 haproxy_master_worker=False):
        self.tmp = tempfile.mkdtemp(prefix="shardtrack-deploy-")
        self.env = cluster.clean_env()
        self.shards, self.frontends = [], []
        self.dns = self.haproxy = self.udp = None
        self.haproxy_master_worker = haproxy_master_worker
        try:
            self._start(shards, list(frontend_args), haproxy_variables or {})
            if udp:
                udp_data = os.path.join(self.tmp, "udp")
                os.mkdir(udp_data)
                self.udp = ComposeUdpFrontend(udp_data, [s.endpoint for s in self.shards],
                                              self.env)
                self.udp.start()
        except BaseException:
            self.close()
            raise

    def _start(self, shard_count, frontend_args, haproxy_variables):
        for index in range(shard_count):
            shard = cluster.Shard(index, shard_count, cluster.free_port(),
                                  os.path.join(self.tmp, f"shard{index}"),
                                  ["--metrics-listen", "127.0.0.1:0"], self.env)
            self.shards.append(shard)
            shard.start()
        self.frontend_port = self._free_port_on_all(FRONTEND_ADDRESSES)
        endpoints = [shard.endpoint for shard in self.shards]
        for number, address in enumerate(FRONTEND_ADDRESSES):
            frontend = cluster.Frontend(
                number, endpoints,
                ["--trusted-proxy", "127.0.0.1/32", *frontend_args], self.env,
                port=self.frontend_port, bind=address)
            self.frontends.append(frontend)
            frontend.start()
        self.dns = cluster.StaticDns(FRONTEND_ADDRESSES)
        self.port = cluster.free_port()
        self.haproxy = cluster.Haproxy(HAPROXY_CFG, {
            "TRACKER_BIND": f"127.0.0.1:{self.port}",
            "DNS_SERVER": f"127.0.0.1:{self.dns.port}",
            "FRONTEND_HOST": "frontends.test",
            "FRONTEND_PORT": str(self.frontend_port),
            "FRONTEND_SLOTS": "1-4",
            "CLIENT_CONNECTIONS": str(CLIENT_CONNECTIONS),
            "CLIENT_REQUESTS": str(CLIENT_REQUESTS),
            **haproxy_variables,
        }, self.port, self.env, master_worker=self.haproxy_master_worker)
        self.haproxy.start()
        wait_until(lambda: self.servers_up() == len(self.frontends), "haproxy to see frontends UP",
                   WAIT)

    @staticmethod
    def _free_port_on_all(addresses):
        for _ in range(50):
            port = cluster.free_port(addresses[0])
            try:
                for address in addresses[1:]:
                    with socket.socket() as s:
                        s.bind((address, port))
                return port
            except OSError:
                continue
        raise RuntimeError("no port free on every frontend address")

    def servers_up(self):
        """How many frontends haproxy routes to now, from its state-change lines."""
        state = {}
        for match in re.finditer(r"Server frontends/(\S+) .*?is (UP|DOWN)", self.haproxy.log()):
            state[match.group(1)] = match.group(2)
        return sum(1 for value in state.values() if value == "UP")

    def shard_metrics_port(self, index):
        return self.shards[index].metrics_port()

    def processes(self):
        return [p for p in [self.haproxy, self.udp, *self.frontends, *self.shards] if p]

    def logs(self):
        return "\n".join(p.log_tail() for p in self.processes())

    def close(self):
        for process in self.processes():
            if process is not None:
                try:
                    process.stop()
                except Exception:
                    pass
        if self.dns:
            self.dns.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


class Client:
    def __init__(self, n, label):
        self.address = f"127.0.0.{n + 2}"
        self.port = 7100 + n
        self.peer_id = peer_id(f"{label}/{n}")

    def announce(self, tracker_port, info_hash, target_prefix="", **fields):
        fields.setdefault("left", 1000)
        if not target_prefix:
            return announce(tracker_port, info_hash, self.peer_id, self.port,
                            source=self.address, **fields)
        response = get(tracker_port, target_prefix + announce_target(
            info_hash, self.peer_id, self.port, **fields), self.address)
        assert response.status == 200, response
        return response.bencoded()


class ThroughHaproxyTest(cluster.LoggedTestCase):
    @classmethod
    def setUpClass(cls):
        cls.topology = Topology()

    @classmethod
    def tearDownClass(cls):
        cls.topology.close()

    def logs(self):
        return self.topology.logs()

    def test_clients_see_each_others_real_addresses(self):
        info_hash = cluster.hash_on_shard(1, 2, "real-addresses")
        clients = [Client(n, "real") for n in range(4)]
        for client in clients:
            reply = client.announce(self.topology.port, info_hash)
            self.assertEqual(reply[b"external ip"], socket.inet_aton(client.address))
        for client in clients:
            reply = client.announce(self.topology.port, info_hash)
            others = {(c.address, c.port) for c in clients if c is not client}
            self.assertEqual(set(reply_peers(reply)), others)

    def test_proxy_header_from_untrusted_source_is_refused(self):
        target = announce_target(cluster.hash_on_shard(0, 2, "spoof"), peer_id("spoof"), 7000)
        for header in (proxy_v1("10.1.2.3", 5555), proxy_v2("10.1.2.3", 5555)):
            with HttpConnection(self.topology.frontend_port, host=FRONTEND_ADDRESSES[0],
                                source="127.0.0.2") as conn:
                conn.send(header + request_bytes(target))
                response = conn.read_response()
                self.assertEqual(response.status, 400)
                self.assertTrue(conn.closed_by_peer())
        samples = metrics(self.topology.frontend_port, FRONTEND_ADDRESSES[0])
        self.assertGreaterEqual(samples["shardtrack_refused_connections_total"], 2)

    def test_proxy_header_from_trusted_source_names_the_client(self):
        info_hash = cluster.hash_on_shard(0, 2, "trusted-proxy")
        for number, header in enumerate((proxy_v1("10.1.2.3", 5555), proxy_v2("10.4.5.6", 5555))):
            with HttpConnection(self.topology.frontend_port, host=FRONTEND_ADDRESSES[1],
                                source="127.0.0.1") as conn:
                conn.send(header + request_bytes(
                    announce_target(info_hash, peer_id(f"proxied{number}"), 6000 + number,
                                    left=5)))
                response = conn.read_response()
            self.assertEqual(response.status, 200)
        reply = Client(9, "observer").announce(self.topology.port, info_hash)
        self.assertEqual(set(reply_peers(reply)), {("10.1.2.3", 6000), ("10.4.5.6", 6001)})

    def test_a_client_over_its_connections_at_the_balancer_gets_429(self):
        # Held through haproxy, the client's connections spread over both frontends, whose own
        # limits (256 each) are far away: the balancer's count is what refuses the next one.
        source = "127.0.0.40"
        held = [HttpConnection(self.topology.port, source=source)
                for _ in range(CLIENT_CONNECTIONS)]
        try:
            for conn in held:
                self.assertEqual(conn.get("/healthz").status, 200)
            with HttpConnection(self.topology.port, source=source) as extra:
                self.assertEqual(extra.get("/healthz").status, 429)
            with HttpConnection(self.topology.port, source="127.0.0.41") as other:
                self.assertEqual(other.get("/healthz").status, 200)
        finally:
            for conn in held:
                conn.close()
        wait_until(lambda: get(self.topology.port, "/healthz", source).status == 200,
                   "the client's places to come back", WAIT)

    def test_a_client_over_its_request_rate_at_the_balancer_is_told_to_retry(self):
        # Spread over both frontends, whose own rate is off: the balancer's count refuses.
        info_hash = cluster.hash_on_shard(0, 2, "request-rate")
        client = Client(42, "request-rate")
        with HttpConnection(self.topology.port, source=client.address) as conn:
            for n in range(CLIENT_REQUESTS):
                reply = conn.get(announce_target(info_hash, client.peer_id, client.port,
                                                 left=5)).bencoded()
                self.assertNotIn(b"failure reason", reply, n)
            refused = conn.get(announce_target(info_hash, client.peer_id, client.port, left=5))
            self.assertEqual(refused.status, 200)
            self.assertEqual(refused.bencoded(), {
                b"failure reason": b"too many requests from your address, retry in a minute",
                b"retry in": 1})
            self.assertEqual(conn.get("/healthz").status, 200)  # not a tracker request
        reply = Client(43, "request-rate").announce(self.topology.port, info_hash)
        self.assertEqual(reply_peers(reply), [(client.address, client.port)])

    def test_the_balancers_request_rate_covers_every_spelling_of_the_routes(self):
        info_hash = cluster.hash_on_shard(0, 2, "request-rate-spellings")
        for n, path in enumerate(("/announce.php", "/announce/", "/scrape.php", "/scrape/")):
            client = Client(60 + n, "request-rate-spellings")
            target = announce_target(info_hash, client.peer_id, client.port, left=5)
            target = target.replace("/announce", path, 1)
            with HttpConnection(self.topology.port, source=client.address) as conn:
                for k in range(CLIENT_REQUESTS):
                    self.assertNotIn(b"failure reason", conn.get(target).bencoded(), (path, k))
                self.assertIn(b"retry in", conn.get(target).bencoded(), path)

    def test_metrics_counters_move_with_traffic(self):
        shard_ports = [self.topology.shard_metrics_port(i) for i in range(2)]
        key = 'shardtrack_http_requests_total{route="announce",outcome="ok"}'
        latency = 'shardtrack_http_request_duration_seconds_count{route="announce"}'
        sent = 'shardtrack_shard_sent_total{shard="%d"}'
        shard_key = 'shardtrack_shard_requests_total{shard="%d",kind="announce"}'

        def frontends():  # both frontends' samples, summed
            total = {}
            for address in FRONTEND_ADDRESSES:
                for name, value in metrics(self.topology.frontend_port, address).items():
                    total[name] = total.get(name, 0) + value
            return total

        before = frontends()
        shard_before = [metrics(p) for p in shard_ports]
        client = Client(20, "metrics")
        for n in range(10):
            client.announce(self.topology.port, cluster.hash_on_shard(n % 2, 2, f"metrics/{n}"))
        after = frontends()
        self.assertEqual(after[key] - before[key], 10)
        self.assertEqual(after[latency] - before[latency], 10)
        self.assertGreaterEqual(after["shardtrack_open_connections"], 1)  # this scrape's own
        # one after another, each announce is read in a turn of its own
        self.assertGreaterEqual(after["shardtrack_loop_turns_total"] -
                                before["shardtrack_loop_turns_total"], 10)
        self.assertIn("shardtrack_loop_batch_holds_total", after)
        for shard in range(2):
            self.assertGreaterEqual(after[sent % shard] - before[sent % shard], 5)  # + checks
            self.assertEqual(after['shardtrack_shard_pending{shard="%d"}' % shard], 0)
            samples = metrics(shard_ports[shard])
            self.assertEqual(samples[shard_key % shard] - shard_before[shard][shard_key % shard],
                             5)
            self.assertGreaterEqual(samples['shardtrack_torrents{shard="%d"}' % shard], 5)
            self.assertGreaterEqual(samples['shardtrack_peers{shard="%d"}' % shard], 5)
            # Persistence: the start-up snapshot exists, and announces were journaled.
            self.assertGreaterEqual(samples['shardtrack_snapshots_total{shard="%d"}' % shard], 1)
            self.assertGreater(samples['shardtrack_snapshot_bytes{shard="%d"}' % shard], 0)
            self.assertGreater(
                samples['shardtrack_journal_commits_total{shard="%d"}' % shard]
                - shard_before[shard]['shardtrack_journal_commits_total{shard="%d"}' % shard], 0)

    def test_metrics_are_not_served_through_the_balancer(self):
        self.assertEqual(get(self.topology.port, "/metrics").status, 404)
        self.assertEqual(get(self.topology.port, "/healthz").status, 200)
        self.assertGreater(len(metrics(self.topology.frontend_port, FRONTEND_ADDRESSES[0])), 10)

    def test_shard_metrics_server_answers_healthz_and_404(self):
        port = self.topology.shard_metrics_port(0)
        self.assertEqual(get(port, "/healthz").status, 200)
        self.assertEqual(get(port, "/nothing").status, 404)

    def test_both_kinds_of_process_export_the_usual_process_series(self):
        for samples in (metrics(self.topology.shard_metrics_port(0)),
                        metrics(self.topology.frontend_port, FRONTEND_ADDRESSES[0])):
            self.assertGreater(samples["process_cpu_seconds_total"], 0)
            self.assertGreater(samples["process_resident_memory_bytes"], 1 << 20)
            self.assertGreater(samples["process_open_fds"], 3)  # sockets beyond stdio
            self.assertGreaterEqual(samples["process_max_fds"], samples["process_open_fds"])


class BalancerConnectionReuseTest(cluster.LoggedTestCase):
    """haproxy keeps no connection to a frontend open past its client's session: kept for reuse,
    one still counted against that client's --max-connections-per-client at the frontend, and a
    client coming straight back with as many connections got 429s."""

    CONNECTIONS = 200  # a round, spread over both frontends: 100 each

    def setUp(self):
        self.topology = Topology(
            shards=1, frontend_args=["--max-connections-per-client", "150"],
            haproxy_variables={"CLIENT_CONNECTIONS": "256"})
        self.addCleanup(self.topology.close)

    def logs(self):
        return self.topology.logs()

    def test_a_client_that_comes_straight_back_is_not_refused(self):
        for round in range(3):
            held = []
            try:
                for _ in range(self.CONNECTIONS):  # all open, then all asking at once
                    held.append(socket.create_connection(
                        ("127.0.0.1", self.topology.port), timeout=WAIT,
                        source_address=("127.0.0.70", 0)))
                for sock in held:
                    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: tracker\r\n\r\n")
                status_lines = [sock.makefile("rb").readline() for sock in held]
            finally:
                for sock in held:
                    sock.close()
            refused = [line for line in status_lines if b" 200 " not in line]
            self.assertEqual(refused, [], round)
            time.sleep(0.2)  # the closes reach the frontends


class ComposeUdpServiceTest(cluster.LoggedTestCase):
    """UDP clients at the compose file's UDP frontend, HTTP clients through haproxy."""

    @classmethod
    def setUpClass(cls):
        cls.topology = Topology(udp=True)

    @classmethod
    def tearDownClass(cls):
        cls.topology.close()

    def logs(self):
        return self.topology.logs()

    def udp_client(self, source):
        client = UdpClient(self.topology.udp.udp_port, source)
        self.addCleanup(client.close)
        client.connect()
        return client

    def test_udp_and_http_clients_share_swarms_and_see_real_addresses(self):
        for shard in range(2):
            info_hash = cluster.hash_on_shard(shard, 2, "compose-udp")
            http_client = Client(60 + shard, "compose-udp")
            http_client.announce(self.topology.port, info_hash)
            udp_source = f"127.0.0.{70 + shard}"
            action, payload = self.udp_client(udp_source).announce(
                info_hash, peer_id(f"compose-udp/{shard}"), 7300, left=5)
            self.assertEqual(action, 1, payload)
            self.assertEqual(announce_fields(payload)[3],
                             [(http_client.address, http_client.port)])
            reply = http_client.announce(self.topology.port, info_hash)
            self.assertEqual(reply_peers(reply), [(udp_source, 7300)])

    def test_the_service_makes_its_secret_once_and_ids_outlive_a_restart(self):
        udp = self.topology.udp
        self.assertEqual(os.stat(udp.secret_file).st_mode & 0o777, 0o600)
        with open(udp.secret_file, "rb") as secret:
            before = secret.read()
        client = self.udp_client("127.0.0.72")
        udp.restart()
        with open(udp.secret_file, "rb") as secret:
            self.assertEqual(secret.read(), before)
        action, payload = client.announce(cluster.hash_on_shard(0, 2, "compose-udp-restart"),
                                          peer_id("compose-udp-restart"), 7301, left=5)
        self.assertEqual(action, 1, payload)


PASSKEY = "9d1c0b7e5a3f48e2b6c4d0a1f7e3b5c9"


class HttpsThroughHaproxyTest(cluster.LoggedTestCase):
    """HTTPS ended at haproxy (TLS_BIND, TLS_CERT, as deploy/compose.https.yml sets them) in
    front of members-only frontends (--passkey-file)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="shardtrack-https-")
        cls.pem, cls.ca_file = cluster.self_signed_certificate(cls.tmp)
        passkeys = os.path.join(cls.tmp, "passkeys")
        with open(passkeys, "w") as f:
            f.write(f"{PASSKEY} 7\n")
        cls.tls_port = cluster.free_port()
        cls.topology = Topology(frontend_args=["--passkey-file", passkeys], haproxy_variables={
            "TLS_BIND": f"127.0.0.1:{cls.tls_port}", "TLS_CERT": cls.pem})

    @classmethod
    def tearDownClass(cls):
        cls.topology.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def logs(self):
        return self.topology.logs()

    def https(self, source, ca_file=None):
        context = ssl.create_default_context(cafile=ca_file or self.ca_file)
        conn = http.client.HTTPSConnection("127.0.0.1", self.tls_port, context=context,
                                           source_address=(source, 0), timeout=WAIT)
        self.addCleanup(conn.close)
        return conn

    @staticmethod
    def get(conn, target):
        conn.request("GET", target)
        response = conn.getresponse()
        return response.status, response.read()

    def test_members_announce_over_https_and_frontends_see_their_real_addresses(self):
        info_hash = cluster.hash_on_shard(1, 2, "https")
        seeder = Client(50, "https")
        status, body = self.get(self.https(seeder.address), f"/{PASSKEY}" + announce_target(
            info_hash, seeder.peer_id, seeder.port, left=0))
        self.assertEqual(status, 200)
        self.assertEqual(cluster.bdecode(body)[b"complete"], 1, body)
        reply = Client(51, "https").announce(self.topology.port, info_hash,
                                             target_prefix=f"/{PASSKEY}")
        self.assertEqual(reply_peers(reply), [(seeder.address, seeder.port)])

        conn = self.https("127.0.0.52")
        query = cluster.query_string([("info_hash", info_hash)])
        status, body = self.get(conn, f"/{PASSKEY}/scrape?{query}")
        self.assertEqual(cluster.bdecode(body)[b"files"][info_hash][b"incomplete"], 1, body)
        status, body = self.get(conn, "/announce?" + query)  # the same connection, kept alive
        self.assertIn(b"needs your passkey", cluster.bdecode(body)[b"failure reason"])

    def test_a_client_that_does_not_trust_the_certificate_gets_nothing(self):
        other_pem, other_ca = cluster.self_signed_certificate(tempfile.mkdtemp(dir=self.tmp))
        del other_pem
        with self.assertRaises(ssl.SSLCertVerificationError):
            self.get(self.https("127.0.0.53", ca_file=other_ca), "/healthz")

    def test_the_balancers_request_rate_covers_passkey_paths(self):
        info_hash = cluster.hash_on_shard(0, 2, "https-rate")
        for n, form in enumerate((lambda t: f"/{PASSKEY}" + t,  # the passkey before or after
                                  lambda t: t.replace("/announce", f"/announce/{PASSKEY}"))):
            client = Client(54 + n, "https-rate")
            conn = self.https(client.address)
            target = form(announce_target(info_hash, client.peer_id, client.port, left=5))
            for k in range(CLIENT_REQUESTS):
                self.assertNotIn(b"failure reason", self.get(conn, target)[1], (target, k))
            self.assertEqual(cluster.bdecode(self.get(conn, target)[1]), {
                b"failure reason": b"too many requests from your address, retry in a minute",
                b"retry in": 1}, target)


class CertificateRenewalTest(cluster.LoggedTestCase):
    """The renewal docs/deploy.md describes: the PEM file replaced, then SIGUSR2 to haproxy's
    master (compose: `docker-compose kill -s USR2 haproxy`); connections made after it get the
    new certificate, and announces go on."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="shardtrack-renewal-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        old, new = os.path.join(self.tmp, "old"), os.path.join(self.tmp, "new")
        os.mkdir(old)
        os.mkdir(new)
        self.pem, self.old_ca = cluster.self_signed_certificate(old)
        self.new_pem, self.new_ca = cluster.self_signed_certificate(new)
        self.tls_port = cluster.free_port()
        self.topology = Topology(shards=1, haproxy_master_worker=True, haproxy_variables={
            "TLS_BIND": f"127.0.0.1:{self.tls_port}", "TLS_CERT": self.pem})
        self.addCleanup(self.topology.close)

    def logs(self):
        return self.topology.logs()

    def announce_over_https(self, ca_file):
        """The announce's reply, or None when the certificate is not `ca_file`'s."""
        context = ssl.create_default_context(cafile=ca_file)
        conn = http.client.HTTPSConnection("127.0.0.1", self.tls_port, context=context,
                                           timeout=WAIT)
        try:
            conn.request("GET", announce_target(cluster.hash_on_shard(0, 1, "renewal"),
                                                peer_id("renewal"), 7300, left=5))
            return cluster.bdecode(conn.getresponse().read())
        except ssl.SSLError:
            return None
        finally:
            conn.close()

    def test_a_replaced_certificate_is_served_after_usr2(self):
        self.assertNotIn(b"failure reason", self.announce_over_https(self.old_ca))
        self.assertIsNone(self.announce_over_https(self.new_ca))
        shutil.copy(self.new_pem, self.pem + ".new")
        os.replace(self.pem + ".new", self.pem)
        self.topology.haproxy.popen.send_signal(signal.SIGUSR2)
        wait_until(lambda: self.announce_over_https(self.new_ca) is not None,
                   "haproxy to serve the new certificate", WAIT)
        self.assertNotIn(b"failure reason", self.announce_over_https(self.new_ca))
        self.assertIsNone(self.announce_over_https(self.old_ca))
        self.assertTrue(self.topology.haproxy.running())


class FrontendFailureTest(cluster.LoggedTestCase):
    def setUp(self):
        self.topology = Topology(shards=1, frontend_args=["--drain-grace-ms", "3000"])

    def tearDown(self):
        self.topology.close()

    def logs(self):
        return self.topology.logs()

    def test_killed_frontend_loses_no_announce_once_marked_down(self):
        info_hash = cluster.hash_on_shard(0, 1, "failover")
        clients = [Client(n, "failover") for n in range(4)]
        for client in clients:
            client.announce(self.topology.port, info_hash)
        self.topology.frontends[1].kill(signal.SIGKILL)
        wait_until(lambda: self.topology.servers_up() == 1, "haproxy to mark frontend2 DOWN",
                   WAIT)
        for round_number in range(10):
            for client in clients:
                reply = client.announce(self.topology.port, info_hash)
                self.assertNotIn(b"failure reason", reply)
                self.assertEqual(len(reply_peers(reply)), 3, round_number)

    def test_draining_frontend_fails_readyz_and_goes_down(self):
        draining = self.topology.frontends[1]
        draining.popen.send_signal(signal.SIGTERM)
        wait_until(lambda: self.topology.servers_up() == 1, "haproxy to mark frontend2 DOWN",
                   WAIT)
        client = Client(0, "drain")
        for n in range(20):
            client.announce(self.topology.port, cluster.hash_on_shard(0, 1, f"drain/{n}"))


class ShardDownBehindHaproxyTest(cluster.LoggedTestCase):
    """haproxy checks /serving: a shard that is down leaves every frontend in, so the other
    shard's torrents are served and the down one's get a failure reason with `retry in`."""

    def setUp(self):
        self.topology = Topology(shards=2)
        self.addCleanup(self.topology.close)

    def logs(self):
        return self.topology.logs()

    def test_a_shard_down_takes_no_frontend_out(self):
        client = Client(30, "shard-down")
        up, down = (cluster.hash_on_shard(n, 2, "shard-down") for n in (0, 1))
        self.topology.shards[1].kill(signal.SIGKILL)
        time.sleep(3.5)  # more than haproxy's 2 failed checks 1 s apart
        self.assertEqual(self.topology.servers_up(), 2)
        for _ in range(4):
            self.assertNotIn(b"failure reason", client.announce(self.topology.port, up))
            reply = client.announce(self.topology.port, down)
            self.assertIn(b"retry", reply[b"failure reason"])
            self.assertEqual(reply[b"retry in"], 1)
        with HttpConnection(self.topology.frontend_port, host=FRONTEND_ADDRESSES[0]) as conn:
            self.assertEqual(conn.get("/readyz").status, 503)  # monitors still see it


class DrainTest(cluster.LoggedTestCase):
    def test_readyz_fails_while_draining_and_liveness_holds(self):
        with cluster.Cluster(shards=1, frontends=1,
                             frontend_args=["--drain-grace-ms", "5000"]) as tracker:
            self.logs = tracker.logs
            port = tracker.port()
            self.assertEqual(get(port, "/readyz").status, 200)
            self.assertEqual(get(port, "/serving").status, 200)
            tracker.frontends[0].popen.send_signal(signal.SIGTERM)
            wait_until(lambda: "draining" in tracker.frontends[0].log(), "the drain to start",
                       WAIT)
            for path in ("/readyz", "/serving"):
                response = get(port, path)
                self.assertEqual(response.status, 503, path)
                self.assertIn(b"draining", response.body)
            self.assertEqual(get(port, "/healthz").status, 200)
            tracker.frontends[0].popen.wait(WAIT)
            self.assertEqual(tracker.frontends[0].popen.returncode, 0)


class ComposeFileTest(unittest.TestCase):
    def config(self, path):
        self.compose = shutil.which("docker-compose")
        if self.compose is None:
            self.skipTest("docker-compose is not installed")
        result = subprocess.run([self.compose, "-f", path, "config"], cwd=REPO,
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout

    def test_no_secret_enters_the_image_build_context(self):
        try:
            from docker.utils.build import exclude_paths  # docker-compose's own filter
        except ImportError:
            self.skipTest("python3-docker is not installed")
        with tempfile.TemporaryDirectory() as context:
            shutil.copy(os.path.join(REPO, ".dockerignore"), context)
            files = ["keys/shards.secret", "deploy/tls/tracker.pem", "deploy/members/passkeys",
                     "elsewhere/frontend.secret", "frontend/main.cc", "keys.txt"]
            for name in files:
                os.makedirs(os.path.dirname(os.path.join(context, name)) or context,
                            exist_ok=True)
                open(os.path.join(context, name), "w").close()
            with open(os.path.join(context, ".dockerignore")) as f:
                patterns = [line.strip() for line in f if line.strip() and line[0] != "#"]
            sent = exclude_paths(context, patterns)
        self.assertIn("frontend/main.cc", sent)
        self.assertIn("keys.txt", sent)
        for secret in files[:4]:
            self.assertNotIn(secret, sent)

    def test_the_published_ports_are_ipv4_only(self):
        # Docker's proxy would hand IPv6 clients over as one private address (docs/deploy.md).
        services = yaml.safe_load(self.config("docker-compose.yml"))["services"]
        for service in ("haproxy", "udp"):
            for port in services[service]["ports"]:
                self.assertTrue(port.startswith("0.0.0.0:"), (service, port))

    def test_repo_compose_file_is_valid(self):
        text = self.config("docker-compose.yml")
        for service in ("haproxy", "frontend", "shard0", "shard1", "udp"):
            self.assertRegex(text, rf"\n  {service}:\n")
        self.assertIn("tcp://shard0:7000,tcp://shard1:7000", text)

    def test_the_udp_frontend_is_published_beside_haproxy(self):
        services = yaml.safe_load(self.config("docker-compose.yml"))["services"]
        udp = services["udp"]
        self.assertEqual(udp["ports"], ["0.0.0.0:6969:6969/udp"])
        self.assertEqual(set(udp["networks"]), {"edge", "internal"})
        self.assertEqual(udp["environment"]["SHARDTRACK_SHARD"],
                         services["frontend"]["environment"]["SHARDTRACK_SHARD"])
        self.assertEqual(udp["environment"]["SHARDTRACK_UDP_PORT"], "6969")

    def with_overrides(self, *overrides):
        self.config("docker-compose.yml")  # skips without docker-compose
        files = [arg for path in ("docker-compose.yml", *overrides) for arg in ("-f", path)]
        result = subprocess.run([self.compose, *files, "config"], cwd=REPO,
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout

    def test_https_override_adds_the_tls_listener_to_haproxy(self):
        text = self.with_overrides("deploy/compose.https.yml")
        haproxy = text[text.index("\n  haproxy:\n"):text.index("\n  shard0:\n")]
        self.assertIn("TLS_BIND: :6443", haproxy)
        self.assertIn("TLS_CERT: /etc/shardtrack/tls/tracker.pem", haproxy)
        self.assertIn("/deploy/tls", haproxy)
        ports = yaml.safe_load(text)["services"]["haproxy"]["ports"]
        self.assertIn("0.0.0.0:443:6443/tcp", ports)  # IPv4 only, as the base file's

    def test_members_override_gives_every_frontend_the_passkey_file(self):
        text = self.with_overrides("deploy/compose.members.yml", "deploy/compose.https.yml")
        services = yaml.safe_load(text)["services"]
        for name in ("frontend", "udp"):
            self.assertEqual(services[name]["environment"]["SHARDTRACK_PASSKEY_FILE"],
                             "/etc/shardtrack/members/passkeys", name)
            self.assertTrue(any("/deploy/members" in volume
                                for volume in services[name]["volumes"]), name)
        self.assertIn("TLS_BIND", text)  # the two overrides combine

    def test_monitoring_override_adds_prometheus_on_the_internal_network(self):
        services = yaml.safe_load(self.with_overrides("deploy/compose.monitoring.yml"))["services"]
        prometheus = services["prometheus"]
        self.assertEqual(set(prometheus["networks"]), {"internal", "edge"})
        self.assertEqual(prometheus["ports"], ["127.0.0.1:9090:9090/tcp"])  # host loopback only
        self.assertTrue(any(v.endswith(":/etc/prometheus:ro") for v in prometheus["volumes"]))
        for shard in ("shard0", "shard1"):  # the name its scrape config finds every shard by
            self.assertEqual(services[shard]["networks"]["internal"]["aliases"], ["shards"])

    def test_repo_compose_file_is_what_compose_shards_writes(self):
        with open(os.path.join(REPO, "docker-compose.yml")) as compose:
            shards = re.search(r"Generated by scripts/compose-shards (\d+)", compose.read())
        self.assertTrue(shards, "docker-compose.yml does not say how it was generated")
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "docker-compose.yml")
            subprocess.run([os.path.join(REPO, "scripts", "compose-shards"), shards.group(1),
                            path], check=True, capture_output=True, timeout=30)
            with open(path) as generated, open(os.path.join(REPO, "docker-compose.yml")) as repo:
                self.assertEqual(generated.read(), repo.read(),
                                 "docker-compose.yml was edited by hand: change "
                                 "scripts/compose-shards and run it instead")

    def test_compose_shards_writes_a_valid_file_for_m_shards(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "docker-compose.yml")
            subprocess.run([os.path.join(REPO, "scripts", "compose-shards"), "3", path],
                           check=True, capture_output=True, timeout=30)
            shutil.copytree(os.path.join(REPO, "deploy"), os.path.join(tmp, "deploy"))
            text = self.config(path)
        self.assertIn("shard2:", text)
        self.assertNotIn("shard3:", text)
        self.assertIn("tcp://shard0:7000,tcp://shard1:7000,tcp://shard2:7000", text)
        self.assertIn("SHARDTRACK_COUNT: '3'", text)


class PrometheusRulesTest(unittest.TestCase):
    """deploy/prometheus/shardtrack-alerts.yml: valid, its rule tests pass, and every metric it
    names is one the processes export."""

    RULES = os.path.join(REPO, "deploy", "prometheus", "shardtrack-alerts.yml")

    def promtool(self, *args):
        promtool = shutil.which("promtool")
        self.assertIsNotNone(promtool, "promtool missing: scripts/install-deps installs prometheus")
        return subprocess.run([promtool, *args], cwd=os.path.dirname(self.RULES),
                              capture_output=True, text=True, timeout=60)

    def test_the_rules_are_valid_and_their_tests_pass(self):
        checked = self.promtool("check", "rules", self.RULES)
        self.assertEqual(checked.returncode, 0, checked.stdout + checked.stderr)
        tested = self.promtool("test", "rules", "shardtrack-alerts.test.yml")
        self.assertEqual(tested.returncode, 0, tested.stdout + tested.stderr)

    def test_the_prometheus_config_is_valid(self):
        checked = self.promtool("check", "config", "prometheus.yml")
        self.assertEqual(checked.returncode, 0, checked.stdout + checked.stderr)

    @staticmethod
    def exported_metrics():
        """Every series name the sources register, with the list files' derived `_stale`."""
        exported = set()
        for folder in ("common", "frontend", "shard", "node"):
            for root, _, files in os.walk(os.path.join(REPO, folder)):
                for name in files:
                    if name.endswith(".cc"):
                        with open(os.path.join(root, name)) as source:
                            exported |= set(re.findall(r'"(shardtrack_[a-z0-9_]+)"',
                                                       source.read()))
        # AddReloadCounters (common/list_in_force.h) derives each list's `_stale` gauge.
        exported |= {n.replace("_reloads_total", "_stale") for n in exported
                     if n.endswith("_reloads_total")}
        return exported

    def test_every_metric_the_rules_name_is_exported(self):
        with open(self.RULES) as rules:
            named = set(re.findall(r"shardtrack_[a-z0-9_]+", rules.read()))
        exported = self.exported_metrics()
        self.assertGreater(len(named), 5)
        self.assertEqual({re.sub(r"_(bucket|sum|count)$", "", n) for n in named} - exported,
                         set())

    def test_every_exported_metric_is_documented(self):
        text = ""
        for path in ["README.md"] + [os.path.join("docs", n)
                                     for n in os.listdir(os.path.join(REPO, "docs"))]:
            with open(os.path.join(REPO, path)) as doc:
                text += doc.read()
        documented = set(re.findall(r"shardtrack_[a-z0-9_]+", text))
        # The docs write families as `shardtrack_shard_{sent,replied}_total`.
        for head, alternatives, tail in re.findall(r"(shardtrack_[a-z0-9_]*)\{([a-z0-9_,]+)\}"
                                                   r"([a-z0-9_]*)", text):
            documented |= {head + word + tail for word in alternatives.split(",")}
        self.assertEqual(self.exported_metrics() - documented, set())


if __name__ == "__main__":
    unittest.main()
