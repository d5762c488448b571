#!/usr/bin/env bash
# Copies google/api/{annotations,http,httpbody}.proto from a pinned Go module in the module cache into
# proto/third_party/googleapis (not committed): remote buf registries are not reachable here.
set -euo pipefail
module=github.com/grpc-ecosystem/grpc-gateway@v1.16.0
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(cd "$root/proto" && GOFLAGS=-mod=mod go mod download -json "$module" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -n "$dir" ] || { echo "could not download $module" >&2; exit 1; }
dst="$root/proto/third_party/googleapis/google/api"
mkdir -p "$dst"
for f in annotations.proto http.proto httpbody.proto; do
  install -m 0644 "$dir/third_party/googleapis/google/api/$f" "$dst/$f"
done
