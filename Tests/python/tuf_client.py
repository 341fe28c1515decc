#!/usr/bin/env python3
"""A TUF client run against a repository `adapterpack repo` wrote (RepoInteropTests).

1. Loads every file in REPO/metadata with tuf.api.metadata.Metadata.from_file and
   verifies its signatures with its delegator's keys: root N by root N-1 and itself;
   timestamp.json by the newest root; older targets and snapshot versions by some root
   of the chain (the one of their time: keys rotate); bins by some targets version's
   delegations.
2. With tuf.ngclient.Updater, trusting REPO/metadata/1.root.json, refreshes from
   BASE_URL (metadata/ and targets/ under it), gets each TARGET's info and downloads it
   into OUT/.

Prints one JSON object: {"checked": [metadata files], "targets": {path: {"file",
"length", "sha256", "custom"}}, "versions": {role: version}, "root_version": N,
"absent": [paths checked absent]}. Exit status 1 on any error.
"""

import argparse
import json
import os
import re
import shutil
import sys

from tuf.api.metadata import Metadata, Root
from tuf.ngclient import Updater


def check_metadata(metadata_dir):
    names = sorted(os.listdir(metadata_dir))
    roots = {}
    for name in names:
        m = re.fullmatch(r"(\d+)\.root\.json", name)
        if m:
            roots[int(m.group(1))] = Metadata.from_file(os.path.join(metadata_dir, name))
    if 1 not in roots:
        raise SystemExit("no 1.root.json")
    checked = []
    previous = None
    for version in sorted(roots):
        md = roots[version]
        assert md.signed.version == version, f"{version}.root.json has version {md.signed.version}"
        md.signed.verify_delegate(Root.type, md.signed_bytes, md.signatures)
        if previous is not None:
            previous.signed.verify_delegate(Root.type, md.signed_bytes, md.signatures)
        previous = md
        checked.append(f"{version}.root.json")
    # Older versions of the other roles were signed under the root of their time (keys
    # rotate), so each file must verify under some root of the chain; the files a client
    # uses now are verified under the newest root by the Updater itself. Delegated roles
    # (hashed bins) must verify under the delegations of some targets version.
    chain = [roots[v].signed for v in sorted(roots)]
    delegators = []
    for n in names:
        m = re.fullmatch(r"(\d+)\.targets\.json", n)
        if m:
            signed = Metadata.from_file(os.path.join(metadata_dir, n)).signed
            if signed.delegations is not None:
                delegators.append(signed)

    def verified_by_some(delegators_, role, md):
        for d in delegators_:
            try:
                d.verify_delegate(role, md.signed_bytes, md.signatures)
                return True
            except Exception:
                continue
        return False

    for name in names:
        if name in checked or name.startswith("."):
            continue
        path = os.path.join(metadata_dir, name)
        md = Metadata.from_file(path)
        if name == "root.json":
            md.signed.verify_delegate(Root.type, md.signed_bytes, md.signatures)
            assert md.signed.version == chain[-1].version, "root.json is not the newest root"
        else:
            m = re.fullmatch(r"(\d+)\.([\w.-]+)\.json", name)
            role = m.group(2) if m else md.signed.type
            if role in ("targets", "snapshot", "timestamp"):
                assert role == md.signed.type, f"{name} is {md.signed.type} metadata"
                if name == "timestamp.json":
                    chain[-1].verify_delegate(role, md.signed_bytes, md.signatures)
                elif not verified_by_some(chain, role, md):
                    raise SystemExit(f"{name}: no root of the chain verifies its signatures")
            elif not verified_by_some(delegators, role, md):
                raise SystemExit(f"{name}: no targets version delegating to {role} verifies its signatures")
            if m:
                assert int(m.group(1)) == md.signed.version, f"{name} has version {md.signed.version}"
        checked.append(name)
    return checked


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", required=True, help="repository directory (for the metadata checks)")
    parser.add_argument("--base-url", required=True, help="URL serving the repository directory")
    parser.add_argument("--client-dir", required=True, help="client's metadata cache (kept between runs)")
    parser.add_argument("--out", required=True, help="where downloaded targets go")
    parser.add_argument("--absent", action="append", default=[], help="a target path the client must not find")
    parser.add_argument("targets", nargs="*")
    args = parser.parse_args()

    checked = check_metadata(os.path.join(args.repo, "metadata"))

    os.makedirs(args.client_dir, exist_ok=True)
    trusted_root = os.path.join(args.client_dir, "root.json")
    if not os.path.exists(trusted_root):
        shutil.copyfile(os.path.join(args.repo, "metadata", "1.root.json"), trusted_root)
    base = args.base_url.rstrip("/")
    updater = Updater(metadata_dir=args.client_dir, metadata_base_url=base + "/metadata/",
                      target_dir=args.out, target_base_url=base + "/targets/", bootstrap=None)
    updater.refresh()
    result = {"checked": checked, "targets": {}}
    for path in args.targets:
        info = updater.get_targetinfo(path)
        if info is None:
            raise SystemExit(f"target {path} not found by the client")
        dest = os.path.join(args.out, path.replace("/", "__"))
        updater.download_target(info, dest)
        result["targets"][path] = {"file": dest, "length": info.length, "sha256": info.hashes["sha256"],
                                   "custom": info.custom}
    for path in args.absent:
        if updater.get_targetinfo(path) is not None:
            raise SystemExit(f"target {path} should be absent but the client found it")
    result["absent"] = args.absent
    result["root_version"] = Metadata.from_file(os.path.join(args.client_dir, "root.json")).signed.version
    ts = Metadata.from_file(os.path.join(args.client_dir, "timestamp.json")).signed
    sn = Metadata.from_file(os.path.join(args.client_dir, "snapshot.json")).signed
    tg = Metadata.from_file(os.path.join(args.client_dir, "targets.json")).signed
    result["versions"] = {"timestamp": ts.version, "snapshot": sn.version, "targets": tg.version}
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
