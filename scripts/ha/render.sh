#!/usr/bin/env bash
# Renders one of the HA templates (conntrackd.conf.in, keepalived.conf.in) with KEY=VALUE
# pairs for its @KEY@ placeholders; refuses to leave one unreplaced.
#   render.sh TEMPLATE KEY=VALUE ... > OUTPUT
set -euo pipefail
template=$1; shift
text=$(cat "$template")
for pair in "$@"; do
  key=${pair%%=*}; value=${pair#*=}
  text=${text//@"$key"@/$value}
done
if left=$(printf '%s\n' "$text" | grep -v '^#' | grep -o '@[A-Z0-9_]*@' | sort -u) && [ -n "$left" ]; then
  echo "render.sh: no value for: $left" >&2
  exit 2
fi
printf '%s\n' "$text"
