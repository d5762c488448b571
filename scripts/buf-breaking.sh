#!/usr/bin/env bash
# buf breaking (WIRE_JSON) of the work tree's APIs against main's. The googleapis imports are not
# committed, so main's proto/ is unpacked to a temporary folder and given the same copy.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ref=${1:-main}
cd "$root"
if ! git cat-file -e "$ref:proto/buf.yaml" 2>/dev/null; then
  echo "buf-breaking: $ref has no proto/buf.yaml yet; nothing to compare" >&2
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git archive "$ref" proto | tar -x -C "$tmp"
scripts/third-party-protos.sh
mkdir -p "$tmp/proto/third_party"
cp -r proto/third_party/googleapis "$tmp/proto/third_party/"
cd proto
buf breaking --against "$tmp/proto"
