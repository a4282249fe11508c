#!/usr/bin/env bash
# Prepare this (Debian, root) machine to build and run the image without Docker or a registry:
# podman + runc, a containers.conf for runc, and the Debian-packaged base image the image test
# uses. Safe to repeat (about 3 minutes the first time, seconds after). Then:
#   export CONTAINERS_CONF=/etc/ecom/containers.conf
#   ECOM_TEST_IMAGE=1 .venv/bin/pytest tests/deploy/test_image.py
# One line in .ci/run (`bash deploy/podman-setup.sh`) would make CI run the image test.
set -euo pipefail

BASE_IMAGE=localhost/debian-python:bookworm
CONF=/etc/ecom/containers.conf

if ! command -v podman >/dev/null || ! command -v runc >/dev/null \
    || ! command -v debootstrap >/dev/null; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q podman runc debootstrap
fi

# crun fails here ("cgroups in hybrid mode"); runc needs the default ulimits off.
mkdir -p "$(dirname "$CONF")"
printf '[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\n' > "$CONF"
export CONTAINERS_CONF="$CONF"

if ! podman image exists "$BASE_IMAGE"; then
  rootfs="$(mktemp -d)"
  trap 'rm -rf "$rootfs"' EXIT
  debootstrap --variant=minbase --include=python3,python3-venv bookworm "$rootfs" >/dev/null
  tar -C "$rootfs" -c . | podman import - "$BASE_IMAGE" >/dev/null
fi
echo "podman ready: CONTAINERS_CONF=$CONF, base image $BASE_IMAGE"
