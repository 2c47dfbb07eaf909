#!/usr/bin/env bash
# Install the Debian packages the test suite needs, when they are absent:
#   postgresql (server 15), chromium (headless browser tests), openssh-server, poppler-utils
#   (pdftoppm: a browser test renders a downloaded PDF's first page to PNG to be looked at).
# Prints a single line when everything is already present.
set -euo pipefail

declare -A CHECK=(
  [postgresql]=/usr/lib/postgresql/15/bin/postgres
  [chromium]=/usr/bin/chromium
  [openssh-server]=/usr/sbin/sshd
  [poppler-utils]=/usr/bin/pdftoppm
)
ORDER=(postgresql chromium openssh-server poppler-utils)

missing=()
for pkg in "${ORDER[@]}"; do
  [[ -x "${CHECK[$pkg]}" ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  echo "system-deps: postgresql 15, chromium, openssh-server, poppler-utils present"
  exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  echo "system-deps: missing ${missing[*]}; not root and sudo is not available." >&2
  echo "system-deps: as root run: apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi

pkgs=("${missing[@]}")
# Headless Chromium needs fonts to render text; with --no-install-recommends they are not pulled in.
[[ " ${missing[*]} " == *" chromium "* ]] && pkgs+=(fonts-liberation fonts-dejavu-core)

echo "system-deps: installing ${pkgs[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${pkgs[@]}"

for pkg in "${ORDER[@]}"; do
  if [[ ! -x "${CHECK[$pkg]}" ]]; then
    echo "system-deps: $pkg installed but ${CHECK[$pkg]} is still missing" >&2
    exit 1
  fi
done

if [[ " ${missing[*]} " == *" chromium "* ]]; then
  # Smoke test: the browser must start headless and render a page.
  if ! timeout 60 /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
      --no-first-run --dump-dom 'data:text/html,<p>ok</p>' 2>/dev/null | grep -q '<p>ok</p>'; then
    echo "system-deps: chromium was installed but does not run headless" >&2
    exit 1
  fi
fi
echo "system-deps: installed ${pkgs[*]}"
