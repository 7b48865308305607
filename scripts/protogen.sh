#!/usr/bin/env bash
# Regenerate the Go code for proto/**/*.proto next to the .proto files.
#
# Run from anywhere inside the repository (make proto does). protoc comes from
# Debian's protobuf-compiler, installed with apt-get only when missing;
# protoc-gen-go is built from the google.golang.org/protobuf version pinned in
# go.mod, so the generated code always matches the runtime; so is
# protoc-gen-go-vtproto (github.com/planetscale/vtprotobuf), which adds
# MarshalVT/UnmarshalVT/SizeVT methods without reflection for the hot paths
# (the pipeline's messages are encoded and decoded once per line).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if ! command -v protoc >/dev/null 2>&1; then
	echo "protogen: protoc not found; installing protobuf-compiler with apt-get" >&2
	sudo=""
	if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
	$sudo apt-get update -qq
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq protobuf-compiler
fi

# Well-known types (google/protobuf/*.proto) ship with protobuf-compiler.
include=""
for d in /usr/include /usr/local/include; do
	if [ -f "$d/google/protobuf/timestamp.proto" ]; then include="$d"; break; fi
done
if [ -z "$include" ]; then
	echo "protogen: google/protobuf/timestamp.proto not found (install protobuf-compiler)" >&2
	exit 1
fi

bindir="$(mktemp -d)"
trap 'rm -rf "$bindir"' EXIT
go build -o "$bindir/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go
go build -o "$bindir/protoc-gen-go-vtproto" github.com/planetscale/vtprotobuf/cmd/protoc-gen-go-vtproto

mapfile -t files < <(cd proto && find . -name '*.proto' -print | sed 's|^\./||' | LC_ALL=C sort)
if [ "${#files[@]}" -eq 0 ]; then
	echo "protogen: no .proto files under proto/" >&2
	exit 1
fi

# Remove stale outputs so a deleted .proto does not leave its Go behind.
find proto -name '*.pb.go' -delete

protoc \
	--plugin=protoc-gen-go="$bindir/protoc-gen-go" \
	-I proto -I "$include" \
	--go_out=proto --go_opt=paths=source_relative \
	--plugin=protoc-gen-go-vtproto="$bindir/protoc-gen-go-vtproto" \
	--go-vtproto_out=proto --go-vtproto_opt=paths=source_relative,features=marshal+unmarshal+size \
	"${files[@]}"

gofmt -l proto | { ! grep . ; } || { echo "protogen: generated code is not gofmt-clean" >&2; exit 1; }
echo "protogen: generated $(find proto -name '*.pb.go' | wc -l) files from ${#files[@]} .proto files (protoc $(protoc --version | awk '{print $2}'))"
