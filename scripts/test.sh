#!/usr/bin/env bash
# The one command that runs every PrescribeGuard test, on a fresh Debian 12 machine with the .NET SDK.
#
# 1. Installs the tools the tests start or call, when missing: redis-server, PostgreSQL (initdb,
#    pg_ctl) and promtool (prometheus). No service needs to be running:
#    the test fixtures start their own Redis and PostgreSQL processes on free ports.
# 2. Restores, builds (Release) and tests the solution; extra arguments go to `dotnet test`,
#    e.g. scripts/test.sh --filter "FullyQualifiedName~Redis".
# 3. Checks formatting last (`dotnet format --verify-no-changes`); skip it with SKIP_FORMAT_CHECK=1.
#
# Exits non-zero if the build fails, any test fails, or the code is not formatted.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly SOLUTION=PrescribeGuard.sln
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

step() { printf '\n==> %s\n' "$*"; }

has() { command -v "$1" >/dev/null 2>&1; }

# Debian's postgresql package puts initdb and pg_ctl in /usr/lib/postgresql/VERSION/bin, off PATH.
newest_postgres_bin() {
  local dirs
  dirs=$(compgen -G '/usr/lib/postgresql/*/bin/initdb' | xargs -r -n1 dirname | sort -V) || true
  [[ -n $dirs ]] && tail -n1 <<<"$dirs"
}

has_initdb() { has initdb || [[ -n $(newest_postgres_bin) ]]; }

as_root() {
  if [[ $(id -u) -eq 0 ]]; then
    "$@"
  elif has sudo; then
    sudo "$@"
  else
    echo "error: need root or sudo to run: $*" >&2
    exit 1
  fi
}

# --- 1. System tools -------------------------------------------------------------------------
missing=()
has redis-server || missing+=(redis-server)
has_initdb || missing+=(postgresql)
has promtool || missing+=(prometheus)

if ((${#missing[@]} > 0)); then
  step "Installing ${missing[*]}"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

if ! has initdb; then
  pg_bin=$(newest_postgres_bin || true)
  if [[ -n $pg_bin ]]; then
    export PATH="$pg_bin:$PATH"
  fi
fi

for tool in redis-server initdb pg_ctl promtool; do
  if ! has "$tool"; then
    echo "error: $tool is still missing after installing packages" >&2
    exit 1
  fi
done

# initdb refuses root, so as root the fixtures run PostgreSQL as the postgres user.
if [[ $(id -u) -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
  step "Creating the postgres system user"
  useradd --system --user-group --no-create-home --shell /usr/sbin/nologin postgres
fi

step "Tools: $(command -v redis-server), $(command -v initdb), $(command -v promtool)"

# --- 2. Restore, build, test -----------------------------------------------------------------
step "dotnet restore"
dotnet restore "$SOLUTION"

step "dotnet build -c Release"
dotnet build -c Release --no-restore "$SOLUTION"

step "dotnet test -c Release $*"
test_status=0
test_log=$(mktemp)
trap 'rm -f "$test_log"' EXIT
dotnet test -c Release --no-build "$SOLUTION" "$@" 2>&1 | tee "$test_log" || test_status=$?
# One summary line over every test assembly, in the plain "N passed, N failed" form CI reads.
summary() {
  grep -Eo "$1: +[0-9]+" "$test_log" | awk '{ total += $2 } END { print total + 0 }'
}
passed=$(summary Passed)
failed=$(summary Failed)
if ((test_status == 0 && passed == 0)); then
  echo "error: no test ran" >&2
  test_status=1
fi

# --- 3. Formatting (last) --------------------------------------------------------------------
format_status=0
if [[ ${SKIP_FORMAT_CHECK:-0} == 1 ]]; then
  step "dotnet format: skipped (SKIP_FORMAT_CHECK=1)"
else
  step "dotnet format --verify-no-changes"
  dotnet format "$SOLUTION" --verify-no-changes --no-restore || format_status=$?
fi

echo
if ((test_status != 0)); then
  echo "FAILED: dotnet test exited with $test_status" >&2
fi
if ((format_status != 0)); then
  echo "FAILED: the code is not formatted (exit $format_status); run: dotnet format $SOLUTION" >&2
fi
if ((test_status != 0 || format_status != 0)); then
  echo "Tests: ${passed:-0} passed, ${failed:-0} failed"
  exit 1
fi
echo "Tests: ${passed:-0} passed, ${failed:-0} failed"
