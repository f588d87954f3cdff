"""A SHARDTRACK_* variable that names no setting of any shardtrack program (a misspelling) is
logged as a warning by a real shardtrack-node, which still serves, ignoring it; one that names
another program's setting, or our tooling's, stays silent (common/server_setting_names.h)."""

import hashlib
import os
import unittest

import cluster
from cluster import Node, ProcessTestCase, announce, peer_id

MISSPELT = "SHARDTRACK_ACCES_LIST"
WARNING = (f"{MISSPELT} names no setting of any shardtrack program (did you mean "
           "SHARDTRACK_ACCESS_LIST? each program's --help lists its settings and their "
           "variables); ignored")


class UnknownVariablesTest(ProcessTestCase):
    def test_a_misspelt_variable_is_warned_of_and_ignored(self):
        allowed = os.path.join(self.tmp, "allowed")
        with open(allowed, "w") as f:
            f.write(hashlib.sha1(b"the only torrent allowed").hexdigest() + "\n")
        env = cluster.clean_env({
            MISSPELT: allowed,
            "SHARDTRACK_COUNT": "2",  # a shard's setting: one file serves every process
            "SHARDTRACK_CHAOS_SEED": "7",  # the chaos test's
        })
        node = self.start(Node(1, os.path.join(self.tmp, "data"), env=env))

        # The warning comes before the ready line, which start() waited for: all logged by now.
        log = node.log()
        self.assertEqual(log.count(WARNING), 1, node.log_tail())
        self.assertNotIn("SHARDTRACK_COUNT", log)
        self.assertNotIn("SHARDTRACK_CHAOS_SEED", log)
        self.assertNotIn("SHARDTRACK_BIN_DIR", log)  # clean_env passes it on
        # Ignored, as it said: a torrent the misspelt list leaves out is served all the same.
        unlisted = hashlib.sha1(b"a torrent not in the list").digest()
        reply = announce(node.port, unlisted, peer_id("seed"), 7000, left=0, event="started")
        self.assertNotIn(b"failure reason", reply)


if __name__ == "__main__":
    unittest.main()
