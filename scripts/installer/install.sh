#!/bin/sh
# Install SafeDesk for this user from this kit: no internet, no administrator rights.
# This script only finds a Python; every other decision is made by setup/safedesk_setup.py,
# the same one the Windows installers run.
set -u
setup="$(cd "$(dirname "$0")" && pwd)/setup/safedesk_setup.py"
first=""
for candidate in python3.14 python3.13 python3.12 python3.11 python3 python; do
  command -v "$candidate" >/dev/null 2>&1 || continue
  if "$candidate" "$setup" check >/dev/null 2>&1; then
    exec "$candidate" "$setup" install
  fi
  [ -n "$first" ] || first=$candidate
done
if [ -n "$first" ]; then
  # Run the check again where it can be read: it says why this Python cannot be used.
  "$first" "$setup" check
  exit 1
fi
echo "SafeDesk needs Python 3.11 or newer and none was found. Ask your IT team to install it, then run this again." >&2
exit 1
