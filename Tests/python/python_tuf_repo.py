"""Writes a TUF repository with python-tuf's Metadata API (not adapterpack's
writer): Ed25519 keys for the four roles, consistent snapshots, and each file
given as a target, stored as targets/HASH.NAME. Used to check that
`adapterpack tuf-client` reads repositories other tools write.

    python3 python_tuf_repo.py OUT_DIR FILE... [--custom NAME JSON]...

--custom gives target NAME a "custom" object (e.g. adapterpack's fields).
"""

import hashlib
import json
import os
import shutil
import sys
from datetime import datetime, timedelta, timezone

from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import Metadata, MetaFile, Root, Snapshot, TargetFile, Targets, Timestamp
from tuf.api.serialization.json import JSONSerializer


def main():
    args = sys.argv[2:]
    out, files, custom = sys.argv[1], [], {}
    while args:
        if args[0] == "--custom":
            custom[args[1]] = json.loads(args[2])
            args = args[3:]
        else:
            files.append(args.pop(0))
    os.makedirs(os.path.join(out, "metadata"), exist_ok=True)
    os.makedirs(os.path.join(out, "targets"), exist_ok=True)
    expires = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=7)
    signers = {role: CryptoSigner.generate_ed25519() for role in ("root", "targets", "snapshot", "timestamp")}
    root = Root(expires=expires, consistent_snapshot=True)
    for role, signer in signers.items():
        root.add_key(signer.public_key, role)
    targets = Targets(expires=expires)
    for path in files:
        name = os.path.basename(path)
        info = TargetFile.from_file(name, path, ["sha256"])
        if name in custom:
            info.unrecognized_fields["custom"] = custom[name]
        targets.targets[name] = info
        shutil.copyfile(path, os.path.join(out, "targets", f"{info.hashes['sha256']}.{name}"))
    serializer = JSONSerializer(compact=False)

    def write(signed, name):
        metadata = Metadata(signed)
        metadata.sign(signers[signed.type])
        data = metadata.to_bytes(serializer)
        with open(os.path.join(out, "metadata", name), "wb") as f:
            f.write(data)
        return data

    write(root, "1.root.json")
    targets_bytes = write(targets, "1.targets.json")
    snapshot = Snapshot(expires=expires, meta={"targets.json": MetaFile(1, len(targets_bytes),
                                                                         {"sha256": hashlib.sha256(targets_bytes).hexdigest()})})
    snapshot_bytes = write(snapshot, "1.snapshot.json")
    timestamp = Timestamp(expires=expires, snapshot_meta=MetaFile(1, len(snapshot_bytes),
                                                                 {"sha256": hashlib.sha256(snapshot_bytes).hexdigest()}))
    write(timestamp, "timestamp.json")


if __name__ == "__main__":
    sys.exit(main())
