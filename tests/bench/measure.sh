#!/usr/bin/env bash
# Measures the exporter as a user runs it (docs/performance.md): start-up, scrape cost and size, scrape
# latency under load (wrk), poll-cycle cost with network latency, and memory over many cycles. The exporter
# runs as its own process against the simulator in another process, so RSS and CPU are the exporter's alone.
#
#   bash tests/bench/measure.sh                 # everything, about 20 minutes on 2 cores
#   bash tests/bench/measure.sh startup scrape  # only some: startup scrape load poll memory
#   CYCLES=100 MEMORY_JOBS="16 1000 10000" LATENCY_MS=100 CONCURRENCY=4 bash tests/bench/measure.sh memory poll
#   BASELINE_REF=main~3 bash tests/bench/measure.sh scrape memory   # that commit's exporter beside this one
#   MEMORY_JOBS=1000 bash tests/bench/measure.sh otlp   # memory with OTLP export on, beside the same build with it off
#   AOT=1 bash tests/bench/measure.sh startup memory    # the native AOT binary (docker/publish.sh) beside the JIT build
#   AOT=/tmp/aot/EntraProvisioningExporter bash tests/bench/measure.sh memory   # one docker/publish.sh already wrote
#   bash tests/bench/measure.sh profiles probe   # full vs lean family set at 1,000 jobs; /probe for one tenant of ten
#   SCRAPE_JOBS=1000 BASELINE_REF=main~1 bash tests/bench/measure.sh scrape   # the scrape at 1,000 jobs only
#
# With BASELINE_REF, the exporter of that commit is built in a temporary git worktree and measured in the same
# run, on the same simulator, as this checkout's: every result line says which (build=baseline or build=current).
# Memory runs both at once, side by side; scrape and startup alternate between them. AOT=1 adds this checkout's
# native AOT binary as build=aot (the JIT's IL build is build=current), the same way.
#
# Needs curl and python3; "load" installs wrk from Debian when it is missing. Prints one "result:" line per figure.
set -euo pipefail
cd "$(dirname "$0")/../.."
parts="${*:-startup scrape load poll memory otlp}"
CYCLES="${CYCLES:-100}"
MEMORY_JOBS="${MEMORY_JOBS:-1000 10000}"
LATENCY_MS="${LATENCY_MS:-100}"
CONCURRENCY="${CONCURRENCY:-4}"
SCRAPE_JOBS="${SCRAPE_JOBS:-100 1000 10000}"
SCENARIO_JOBS=16 # the demo tenant's own jobs; synthetic ones make up the rest
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

for project in src/EntraProvisioningExporter tests/EntraProvisioningExporter.TestSupport; do
  dotnet build -c Release -nologo -clp:ErrorsOnly "$project" >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
done
exporter_dll="src/EntraProvisioningExporter/bin/Release/net10.0/EntraProvisioningExporter.dll"
builds=("current=$PWD/$exporter_dll")
if [ -n "${BASELINE_REF:-}" ]; then
  baseline_tree="$work/baseline"
  git worktree add --detach "$baseline_tree" "$BASELINE_REF" >"$work/worktree.log" 2>&1 || { cat "$work/worktree.log" >&2; exit 1; }
  trap 'cleanup; git worktree remove --force "$baseline_tree" >/dev/null 2>&1 || true' EXIT
  dotnet build -c Release -nologo -clp:ErrorsOnly "$baseline_tree/src/EntraProvisioningExporter" >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
  builds=("baseline=$baseline_tree/$exporter_dll" "${builds[@]}")
  echo "baseline: $(git rev-parse --short "$BASELINE_REF") ($BASELINE_REF); current: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo ' + uncommitted changes')"
fi
if [ -n "${AOT:-}" ]; then
  aot_binary="$AOT" # AOT=1 publishes it here; AOT=<path> measures a binary docker/publish.sh already wrote
  if [ "$AOT" = 1 ]; then
    bash docker/publish.sh "$work/aot" >"$work/publish.log" 2>&1 || { cat "$work/publish.log" >&2; exit 1; }
    aot_binary="$work/aot/EntraProvisioningExporter"
  fi
  builds+=("aot=$aot_binary")
  echo "aot: $(du -b "$aot_binary" | awk '{printf "%.1f MB", $1/1e6}') binary"
fi
simulator_dll="tests/EntraProvisioningExporter.TestSupport/bin/Release/net10.0/EntraProvisioningExporter.TestSupport.dll"
# The lean profile's Exporter:Metrics:Exclude, read from the chart's documented profile (one source for both).
mapfile -t LEAN_ARGS < <(python3 -c '
import re, sys
text = open("charts/entra-provisioning-exporter/ci/lean-values.yaml").read()
block = text.split("exclude:", 1)[1]
patterns = []
for line in block.splitlines()[1:]:
    m = re.match(r"^\s+- (\S+)\s*$", line)
    if not m: break
    patterns.append(m.group(1))
for i, p in enumerate(patterns): print(f"--Exporter:Metrics:Exclude:{i}"); print(p)')
ticks="$(getconf CLK_TCK)"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), .NET $(dotnet --version)"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { date +%s%3N; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_mib() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
scrape() { curl -sf "http://127.0.0.1:$1/metrics" >"$work/metrics.txt"; } # scrape <port>: once, into $work/metrics.txt
metric() { # metric <name> [label="value"…]: sum of the samples of that name carrying every given label, in the last scrape
  local name="$1"; shift
  awk -v name="$name" -v want="$*" 'BEGIN { n = split(want, w, " ") }
    index($0, name "{") == 1 || index($0, name " ") == 1 {
      ok = 1; for (i = 1; i <= n; i++) if (index($0, w[i]) == 0) ok = 0
      if (ok) s += $NF
    } END {printf "%.6f\n", s}' "$work/metrics.txt"
}
# The demo tenant's job-status source: its cycles, their total duration, and the Graph responses of all its sources.
DEMO_TENANT='tenant_id="6d3b9a1e-0c4f-4e8e-9b7a-1f2a3b4c5d6e"'
CYCLES_OF_JOBS=(entra_exporter_poll_duration_seconds_count 'source="graph_jobs"' "$DEMO_TENANT")
SECONDS_OF_JOBS=(entra_exporter_poll_duration_seconds_sum 'source="graph_jobs"' "$DEMO_TENANT")
GRAPH_RESPONSES=(entra_exporter_http_requests_total 'source="graph_jobs"')
wait_ready() { # wait_ready <port> <pid>: until /readyz answers 200
  for _ in $(seq 1200); do
    curl -sf "http://127.0.0.1:$1/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$2" 2>/dev/null || { echo "exporter exited" >&2; return 1; }
    sleep 0.05
  done
  return 1
}
start_simulator() { # start_simulator <jobs> <latency-ms> <log-source> [tenants]: sets sim_pid, writes $work/exporter.json (jobs per tenant)
  rm -f "$work/exporter.json"
  dotnet "$simulator_dll" --port "$(free_port)" --tenants "${4:-1}" --synthetic-jobs "$(($1 - SCENARIO_JOBS))" --latency-ms "$2" --log-source "$3" --config-out "$work/exporter.json" >"$work/simulator.log" 2>&1 &
  sim_pid=$!; pids+=("$sim_pid")
  for _ in $(seq 600); do [ -s "$work/exporter.json" ] && return 0; sleep 0.1; done
  echo "simulator did not start: $(cat "$work/simulator.log")" >&2; return 1
}
start_exporter() { # start_exporter <build=dll> <port> <args…>: that build against $work/exporter.json; sets exp_pid
  local name="${1%%=*}" dll="${1#*=}" port="$2"; shift 2
  # The settings file is the content root's appsettings.Production.json, as in the container.
  # A native binary needs only itself and its settings (not the debug symbols beside it), as in the image.
  rm -rf "$work/app-$name" && mkdir -p "$work/app-$name"
  case "$dll" in
    *.dll) cp -r "$(dirname "$dll")"/. "$work/app-$name/" ;;
    *) cp "$dll" "$(dirname "$dll")/appsettings.json" "$work/app-$name/" ;;
  esac
  cp "$work/exporter.json" "$work/app-$name/appsettings.Production.json"
  local otlp=() lean=()
  [[ "$name" == *lean* ]] && lean=("${LEAN_ARGS[@]}")
  [[ "$name" == *otlp* ]] && otlp=(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$otlp_port" OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf OTEL_METRIC_EXPORT_INTERVAL=15000)
  command_of "$work/app-$name/$(basename "$dll")"
  env DOTNET_ENVIRONMENT=Production "${otlp[@]}" "${cmd[@]}" --urls "http://127.0.0.1:$port" --Logging:LogLevel:Default=Warning "${lean[@]}" "$@" >"$work/exporter-$name.log" 2>&1 &
  exp_pid=$!; pids+=("$exp_pid")
}
command_of() { case "$1" in *.dll) cmd=(dotnet "$1") ;; *) cmd=("$1") ;; esac; } # command_of <dll or native binary>: sets cmd
stop() { kill "$@" 2>/dev/null || true; for p in "$@"; do wait "$p" 2>/dev/null || true; done; }

# Start-up: process start to /metrics answering at all, and to the first /metrics with every job and a successful
# cycle of every source.
measure_startup() {
  for jobs in "$SCENARIO_JOBS" 1000; do
   for build in "${builds[@]}"; do
    local samples=() answers=()
    for _ in 1 2 3; do
      local port; port="$(free_port)"
      command_of "${build#*=}"
      local t0; t0="$(now_ms)"
      "${cmd[@]}" --demo --urls "http://127.0.0.1:$port" --Demo:SyntheticJobs "$((jobs - SCENARIO_JOBS))" --Logging:LogLevel:Default=Warning >"$work/startup.log" 2>&1 &
      local pid=$!; pids+=("$pid")
      until curl -sf -o /dev/null "http://127.0.0.1:$port/metrics" 2>/dev/null; do sleep 0.005; done
      answers+=("$(( $(now_ms) - t0 ))")
      until [ "$(curl -sf "http://127.0.0.1:$port/metrics" 2>/dev/null | grep -c '^entra_provisioning_job_info{')" = "$jobs" ] &&
            ! curl -sf "http://127.0.0.1:$port/metrics" | grep -q '^entra_exporter_source_up{.*} 0$'; do sleep 0.02; done
      samples+=("$(( $(now_ms) - t0 ))")
      stop "$pid"
    done
    echo "result: startup_to_metrics_answering build=${build%%=*} jobs=$jobs median_ms=$(printf '%s\n' "${answers[@]}" | median) runs_ms=${answers[*]}"
    echo "result: startup_to_first_complete_metrics build=${build%%=*} jobs=$jobs median_ms=$(printf '%s\n' "${samples[@]}" | median) runs_ms=${samples[*]}"
   done
  done
}

# Scrape cost: body size per job, and the exporter's CPU per scrape (from /proc), plain and gzip.
measure_scrape() {
  for jobs in $SCRAPE_JOBS; do
    start_simulator "$jobs" 0 LogAnalytics
    for build in "${builds[@]}"; do
      local port; port="$(free_port)"
      start_exporter "$build" "$port" --Exporter:PollInterval 01:00:00
      wait_ready "$port" "$exp_pid"
      scrape "$port"
      local raw gz series jobseries
      raw="$(wc -c <"$work/metrics.txt")"
      series="$(grep -vc '^#' "$work/metrics.txt")"
      jobseries="$(grep -c '^entra_provisioning_[a-z_]*{tenant_id="[^"]*",service_principal_id=' "$work/metrics.txt")"
      gz="$(curl -sf -H 'Accept-Encoding: gzip' "http://127.0.0.1:$port/metrics" | wc -c)"
      echo "result: body build=${build%%=*} jobs=$jobs series=$series job_series_per_job=$(awk -v s="$jobseries" -v j="$jobs" 'BEGIN {printf "%.1f", s / j}') raw_bytes=$raw gzip_bytes=$gz raw_per_job=$((raw / jobs)) gzip_per_job=$((gz / jobs))"
      # Warm up first: the JIT needs a few hundred scrapes' worth of calls to move the hot paths to optimized
      # (tier-1) code; before that a scrape costs several times as much.
      local n=$(( jobs >= 10000 ? 10 : jobs >= 1000 ? 50 : 100 )) warm=$(( jobs >= 10000 ? 10 : jobs >= 1000 ? 100 : 300 ))
      for enc in identity gzip; do
        for _ in $(seq "$warm"); do curl -sf -H "Accept-Encoding: $enc" -o /dev/null "http://127.0.0.1:$port/metrics"; done
        local c0 t0; c0="$(cpu_ticks "$exp_pid")"; t0="$(now_ms)"
        for _ in $(seq "$n"); do curl -sf -H "Accept-Encoding: $enc" -o /dev/null "http://127.0.0.1:$port/metrics"; done
        local c1 t1; c1="$(cpu_ticks "$exp_pid")"; t1="$(now_ms)"
        echo "result: scrape build=${build%%=*} jobs=$jobs encoding=$enc cpu_ms_per_scrape=$(( (c1 - c0) * 1000 / ticks / n )) wall_ms_per_scrape=$(( (t1 - t0) / n )) scrapes=$n"
      done
      stop "$exp_pid"
    done
    stop "$sim_pid"
  done
}

# Scrape latency under load: wrk against the exporter at 1,000 jobs (the gzip case is what Prometheus asks for).
measure_load() {
  if ! command -v wrk >/dev/null; then
    local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get install -y -qq wrk >/dev/null || { echo "wrk is not installed and could not be (apt-get install wrk)" >&2; return 1; }
  fi
  start_simulator 1000 0 LogAnalytics
  for build in "${builds[@]}"; do
    local port; port="$(free_port)"
    start_exporter "$build" "$port" --Exporter:PollInterval 01:00:00
    wait_ready "$port" "$exp_pid"
    for enc in identity gzip; do
      wrk -t1 -c1 -d10s "http://127.0.0.1:$port/metrics" >/dev/null # warm up (tier-1 code)
      wrk -t2 -c4 -d20s --latency -H "Accept-Encoding: $enc" "http://127.0.0.1:$port/metrics" >"$work/wrk.txt"
      echo "result: wrk build=${build%%=*} jobs=1000 encoding=$enc connections=4 p50=$(awk '$1=="50%" {print $2}' "$work/wrk.txt") p99=$(awk '$1=="99%" {print $2}' "$work/wrk.txt") requests_per_s=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")"
    done
    stop "$exp_pid"
  done
  stop "$sim_pid"
}

# Poll cycles with network latency: Graph requests per cycle and wall time against requests/concurrency × latency.
measure_poll() {
  for jobs in 1000 10000; do
   for build in "${builds[@]}"; do
    start_simulator "$jobs" "$LATENCY_MS" None
    local port; port="$(free_port)"
    start_exporter "$build" "$port" --Exporter:PollInterval 00:01:00 --Exporter:MaxConcurrentRequestsPerTenant "$CONCURRENCY"
    wait_ready "$port" "$exp_pid"
    # The first cycle also discovers; measure the steady cycles after it.
    local r0 c0 d0
    scrape "$port"
    r0="$(metric "${GRAPH_RESPONSES[@]}")"; c0="$(metric "${CYCLES_OF_JOBS[@]}")"; d0="$(metric "${SECONDS_OF_JOBS[@]}")"
    echo "  (waiting for 3 steady cycles of the 60 s interval)" >&2
    sleep 185
    local r1 c1 d1
    scrape "$port"
    r1="$(metric "${GRAPH_RESPONSES[@]}")"; c1="$(metric "${CYCLES_OF_JOBS[@]}")"; d1="$(metric "${SECONDS_OF_JOBS[@]}")"
    awk -v b="${build%%=*}" -v j="$jobs" -v r="$((${r1%.*} - ${r0%.*}))" -v c="${c1%.*}" -v c0="${c0%.*}" -v d="$d1" -v d0="$d0" -v l="$LATENCY_MS" -v k="$CONCURRENCY" 'BEGIN {
      n = c - c0; per = r / n; wall = (d - d0) / n; bound = per / k * l / 1000; sps = j - 1
      printf "result: poll build=%s jobs=%d latency_ms=%d concurrency=%d cycles=%d requests_per_cycle=%.1f expected=ceil(%d/20)=%d wall_s=%.3f bound_s=%.3f ratio=%.2f\n", b, j, l, k, n, per, sps, int((sps + 19) / 20), wall, bound, wall / bound }'
    stop "$exp_pid" "$sim_pid"
   done
  done
}

# Memory: RSS after CYCLES poll cycles (jobs and Log Analytics logs), sampled on the way to show it is flat.
measure_memory() {
  for jobs in $MEMORY_JOBS; do memory_side_by_side "$jobs" "${builds[@]}"; done
}

# OTLP's cost: the current build with OTLP export on (to a receiver that accepts everything), beside it with OTLP off.
measure_otlp() {
  otlp_port="$(free_port)"
  python3 -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200); self.send_header("Content-Type", "application/x-protobuf"); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()' "$otlp_port" &
  pids+=("$!")
  local current="$PWD/$exporter_dll" # the JIT build, whatever else is measured
  for jobs in $MEMORY_JOBS; do memory_side_by_side "$jobs" "current=$current" "current+otlp=$current"; done
}

memory_side_by_side() { # memory_side_by_side <jobs> <name=dll>…: RSS after CYCLES poll cycles of each, run at once against one simulator
    local jobs="$1"; shift
    start_simulator "$jobs" 0 LogAnalytics
    local interval=2; [ "$jobs" -ge 10000 ] && interval=6
    local ports=() exps=() names=()
    for build in "$@"; do
      local port; port="$(free_port)"
      start_exporter "$build" "$port" --Exporter:PollInterval "00:00:0$interval" --Exporter:DiscoveryInterval 06:00:00 --Exporter:Logs:Window 00:01:00
      ports+=("$port"); exps+=("$exp_pid"); names+=("${build%%=*}")
    done
    local i
    for i in "${!ports[@]}"; do wait_ready "${ports[$i]}" "${exps[$i]}"; done
    local marks=() cycles=() next=() done_count=0
    for i in "${!ports[@]}"; do marks+=(""); cycles+=(0); next+=($(( CYCLES < 10 ? CYCLES : 10 ))); done
    while [ "$done_count" -lt "${#ports[@]}" ]; do
      sleep 15 # one scrape per 15 s, as a Prometheus with a 15 s scrape interval
      done_count=0
      for i in "${!ports[@]}"; do
        if [ "${cycles[$i]}" -ge "$CYCLES" ]; then done_count=$((done_count + 1)); continue; fi
        scrape "${ports[$i]}"
        local c; c="$(metric "${CYCLES_OF_JOBS[@]}")"; cycles[$i]="${c%.*}"
        if [ "${cycles[$i]}" -ge "${next[$i]}" ]; then
          marks[$i]="${marks[$i]} ${cycles[$i]}:$(rss_mib "${exps[$i]}")MiB"; next[$i]=$(( next[i] * 2 > CYCLES ? CYCLES : next[i] * 2 ))
        fi
        if [ "${cycles[$i]}" -ge "$CYCLES" ]; then
          echo "result: memory build=${names[$i]} jobs=$jobs cycles=${cycles[$i]} rss_mib=$(rss_mib "${exps[$i]}") samples=[${marks[$i]# }] errors=$(metric entra_exporter_poll_errors_total)"
        fi
      done
    done
    stop "${exps[@]}" "$sim_pid"
}

# Full vs lean family set (charts/…/ci/lean-values.yaml) at 1,000 jobs, both exporters at once on one simulator:
# series per job and body size, CPU per plain and gzip scrape (the two alternating, so machine drift hits both alike),
# then RSS after CYCLES poll cycles of both side by side.
measure_profiles() {
  local jobs=1000 dll="$PWD/$exporter_dll"
  start_simulator "$jobs" 0 LogAnalytics
  local names=(full lean) ports=() exps=() i
  for name in "${names[@]}"; do
    local port; port="$(free_port)"
    start_exporter "$name=$dll" "$port" --Exporter:PollInterval 01:00:00
    ports+=("$port"); exps+=("$exp_pid")
  done
  for i in 0 1; do
    wait_ready "${ports[$i]}" "${exps[$i]}"
    scrape "${ports[$i]}"
    local raw gz series jobseries
    raw="$(wc -c <"$work/metrics.txt")"
    series="$(grep -vc '^#' "$work/metrics.txt")"
    jobseries="$(grep -c '^entra_provisioning_[a-z_]*{tenant_id="[^"]*",service_principal_id=' "$work/metrics.txt")"
    gz="$(curl -sf -H 'Accept-Encoding: gzip' "http://127.0.0.1:${ports[$i]}/metrics" | wc -c)"
    echo "result: profile=${names[$i]} jobs=$jobs series=$series job_series_per_job=$(awk -v s="$jobseries" -v j="$jobs" 'BEGIN {printf "%.1f", s / j}') raw_bytes=$raw gzip_bytes=$gz"
    for _ in $(seq 100); do
      curl -sf -o /dev/null "http://127.0.0.1:${ports[$i]}/metrics"; curl -sf -H 'Accept-Encoding: gzip' -o /dev/null "http://127.0.0.1:${ports[$i]}/metrics"
    done
  done
  declare -A cpu=()
  local round enc
  for round in 1 2 3 4 5; do
    for enc in identity gzip; do
      for i in 0 1; do
        local c0; c0="$(cpu_ticks "${exps[$i]}")"
        for _ in $(seq 10); do curl -sf -H "Accept-Encoding: $enc" -o /dev/null "http://127.0.0.1:${ports[$i]}/metrics"; done
        cpu["${names[$i]} $enc"]=$(( ${cpu["${names[$i]} $enc"]:-0} + $(cpu_ticks "${exps[$i]}") - c0 ))
      done
    done
  done
  for key in "${!cpu[@]}"; do
    echo "result: profile=${key% *} jobs=$jobs encoding=${key#* } cpu_ms_per_scrape=$(awk -v t="${cpu[$key]}" -v k="$ticks" 'BEGIN {printf "%.1f", t * 1000 / k / 50}') scrapes=50"
  done
  stop "${exps[@]}" "$sim_pid"
  memory_side_by_side "$jobs" "full=$dll" "lean=$dll"
}

# /probe?tenant=NAME for one tenant of ten beside /metrics for all ten (10 tenants × 100 jobs, logs for every job), the
# exporter and the simulator as separate processes; the two endpoints alternate, so machine drift hits both alike.
measure_probe() {
  start_simulator 100 0 LogAnalytics 10
  local port; port="$(free_port)"
  start_exporter "current=$PWD/$exporter_dll" "$port" --Exporter:PollInterval 01:00:00
  wait_ready "$port" "$exp_pid"
  local tenant; tenant="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Exporter"]["Tenants"][3]["TenantId"])' "$work/exporter.json")"
  local paths=("metrics" "probe?tenant=$tenant")
  for path in "${paths[@]}"; do
    curl -sf "http://127.0.0.1:$port/$path" >"$work/body.txt"
    local raw gz; raw="$(wc -c <"$work/body.txt")"
    gz="$(curl -sf -H 'Accept-Encoding: gzip' "http://127.0.0.1:$port/$path" | wc -c)"
    echo "result: endpoint=/${path%%\?*} tenants=10 jobs=1000 series=$(grep -vc '^#' "$work/body.txt") raw_bytes=$raw gzip_bytes=$gz"
    for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/$path"; curl -sf -H 'Accept-Encoding: gzip' -o /dev/null "http://127.0.0.1:$port/$path"; done
  done
  local c0; c0="$(cpu_ticks "$exp_pid")"; sleep 5
  echo "result: idle cpu_ms_per_s=$(( ($(cpu_ticks "$exp_pid") - c0) * 1000 / ticks / 5 ))"
  local round enc path
  declare -A cpu=()
  for round in 1 2 3 4 5; do
    for enc in identity gzip; do
      for path in "${paths[@]}"; do
        local c0; c0="$(cpu_ticks "$exp_pid")"
        for _ in $(seq 10); do curl -sf -H "Accept-Encoding: $enc" -o /dev/null "http://127.0.0.1:$port/$path"; done
        cpu["${path%%\?*} $enc"]=$(( ${cpu["${path%%\?*} $enc"]:-0} + $(cpu_ticks "$exp_pid") - c0 ))
      done
    done
  done
  for key in "${!cpu[@]}"; do
    echo "result: endpoint=/${key% *} encoding=${key#* } cpu_ms_per_scrape=$(awk -v t="${cpu[$key]}" -v k="$ticks" 'BEGIN {printf "%.1f", t * 1000 / k / 50}') scrapes=50"
  done
  stop "$exp_pid" "$sim_pid"
}

for part in $parts; do "measure_$part"; done
