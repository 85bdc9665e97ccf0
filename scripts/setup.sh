#!/usr/bin/env bash
# Prepares a Debian/Ubuntu machine to run wirestate from this checkout: installs the system tools
# wirestate drives (only those missing), checks Node.js, then `npm ci` (whose `prepare` script
# builds dist/ with tsc). Safe to run again. Run as root when packages are missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# chromium and a font: the drift report test opens `drift -o html` in headless Chromium.
PACKAGES=(iproute2 iptables conntrack iputils-ping curl dnsutils procps netcat-openbsd util-linux python3 tcpdump chromium fonts-dejavu-core)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]}; run this script as root to install them" >&2
    exit 1
  fi
  if ! command -v apt-get >/dev/null; then
    echo "setup: missing packages ${missing[*]}, and no apt-get: install them by hand" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  apt-get update
  # Without recommends: chromium alone would pull in ~100 more packages (about 15 s instead of a minute).
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

if ! command -v node >/dev/null; then
  echo "setup: Node.js not found: wirestate needs Node.js 20.19 or newer" >&2
  exit 1
fi
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
  echo "setup: Node.js $(node --version) is too old: wirestate needs 20.19 or newer" >&2
  exit 1
fi

npm ci --no-audit --no-fund
