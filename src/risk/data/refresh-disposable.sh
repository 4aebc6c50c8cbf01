#!/bin/sh
# Refresh disposable.txt, the list behind bouncegate's `disposable-domain`, from the PyPI
# package `disposable-email-domains`: a mirror, kept current, of the blocklist of the
# disposable-email-domains project (https://github.com/disposable-email-domains/
# disposable-email-domains), which dedicates the list to the public domain (CC0-1.0).
# Needs pip and python3; the package's code is never run, its set literal is only parsed.
#
#   sh src/risk/data/refresh-disposable.sh    # then review the diff and commit it
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pip download --quiet --no-deps --only-binary :all: -d "$tmp" disposable-email-domains
python3 - "$tmp" "$here/disposable.txt" <<'PY'
import ast, glob, os, sys, zipfile

tmp, out = sys.argv[1], sys.argv[2]
(wheel,) = glob.glob(os.path.join(tmp, "disposable_email_domains-*.whl"))
version = os.path.basename(wheel).split("-")[1]
with zipfile.ZipFile(wheel) as archive:
    source = archive.read("disposable_email_domains/__init__.py").decode("utf-8")
domains = None
for node in ast.parse(source).body:
    if isinstance(node, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id == "blocklist" for t in node.targets
    ):
        domains = ast.literal_eval(node.value)
if not domains or len(domains) < 1000:
    sys.exit("no blocklist of some thousand domains in " + wheel)
domains = sorted({d.strip().lower().rstrip(".") for d in domains if d.strip()})
header = f"""# Disposable mailbox domains (bouncegate's `disposable-domain`): a domain on this list, or
# under one (x.mailinator.com), takes mail for inboxes that are thrown away within hours.
#
# Source: the blocklist of the disposable-email-domains project
# (https://github.com/disposable-email-domains/disposable-email-domains), dedicated to the
# public domain under CC0-1.0, as shipped in the PyPI package disposable-email-domains
# {version}. {len(domains)} domains, sorted, lowercased. Do not edit by hand: refresh with
# `sh src/risk/data/refresh-disposable.sh`; rules.yaml adds and removes domains
# (`risk.disposable.add`, `risk.disposable.remove`).
"""
with open(out, "w", encoding="utf-8", newline="\n") as f:
    f.write(header)
    for d in domains:
        f.write(d + "\n")
print(f"{out}: {len(domains)} domains from disposable-email-domains {version}")
PY
