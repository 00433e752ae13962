#!/usr/bin/env bash
# Makes a self-signed certificate for the local edge's HTTPS (wrangler dev --local-protocol https):
# CN localhost, valid for localhost and 127.0.0.1 (plus SIPHON_EDGE_CERT_HOST if given), 30 days.
# Usage: scripts/edge-cert.sh [dir]   (default .run/tls); prints the two paths.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-.run/tls}"
mkdir -p "$dir"
san="DNS:localhost,IP:127.0.0.1"
[ -n "${SIPHON_EDGE_CERT_HOST:-}" ] && san="$san,IP:${SIPHON_EDGE_CERT_HOST}"
if [ ! -s "$dir/edge-cert.pem" ] || ! openssl x509 -checkend 86400 -noout -in "$dir/edge-cert.pem" >/dev/null 2>&1; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=localhost \
    -addext "subjectAltName=$san" -keyout "$dir/edge-key.pem" -out "$dir/edge-cert.pem" 2>/dev/null
fi
echo "$dir/edge-cert.pem"
echo "$dir/edge-key.pem"
