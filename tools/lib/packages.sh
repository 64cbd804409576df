# tools/lib/packages.sh: sourced by the setup scripts.
#
# ensure_packages [--no-recommends] WHO PACKAGE...
#   Installs with apt the Debian packages that are not installed yet (after an
#   apt-get update, which a fresh machine needs), saying so as WHO. sudo when
#   not root.
ensure_packages() {
  local opts=()
  if [ "$1" = --no-recommends ]; then opts+=(--no-install-recommends); shift; fi
  local who=$1; shift
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "$who: installing ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${opts[@]}" "${missing[@]}" >&2
}
