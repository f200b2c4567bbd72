#!/usr/bin/env bash
# Build a stand-in for Airbyte's Python connector base image, for a machine that cannot pull it
# (an offline CI): Debian bookworm by debootstrap, imported into Docker, shaped like Airbyte's base
# (Dockerfile beside this script). Needs root, debootstrap and a Docker daemon.
#
#   airbyte/standin-base/build.sh [TAG]        # default: source-auth0-logs-base:standin
#
# DOCKER names the docker command (default: docker); DEBIAN_MIRROR the mirror to bootstrap from.
set -euo pipefail
tag=${1:-source-auth0-logs-base:standin}
docker=${DOCKER:-docker}
here=$(cd "$(dirname "$0")" && pwd)
if "$docker" image inspect "$tag" >/dev/null 2>&1; then
  echo "Stand-in base $tag is there already."
  exit 0
fi
rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
echo "Bootstrapping Debian bookworm for the stand-in base $tag ..."
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
  bookworm "$rootfs" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >/dev/null
tar -C "$rootfs" -c . | "$docker" import - source-auth0-logs-rootfs:bookworm >/dev/null
DOCKER_BUILDKIT=1 "$docker" build -q -t "$tag" "$here" >/dev/null
echo "Built the stand-in base $tag."
