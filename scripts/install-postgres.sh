#!/usr/bin/env bash
# Debian's PostgreSQL server binaries (initdb, postgres), which `--store postgres` starts a throwaway server
# from, and the test suite too. Nothing here starts a server; the package's own cluster is not used.
set -euo pipefail
if compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null; then
  echo "PostgreSQL server binaries already installed: $(ls -d /usr/lib/postgresql/*/bin | tail -1)"
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
echo "PostgreSQL server binaries installed: $(ls -d /usr/lib/postgresql/*/bin | tail -1)"
