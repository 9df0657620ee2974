# shellcheck shell=bash
# deployhooks host library: the per-app front proxy (caddy): ports, configuration, start, route, drain, stop (render/proxy.ts).
dh_px_have() { command -v caddy >/dev/null 2>&1; }
dh_px_admin() {
  curl -sS --max-time 10 --unix-socket "$DH_PX/admin.sock" -H 'Host: ' -X "$1" "http://localhost$2" "${@:3}"
}
# dh_port_listening PORT: something listens on 127.0.0.1/any address at PORT (IPv4 or IPv6).
dh_port_listening() {
  local hex
  printf -v hex '%04X' "$1"
  grep -q -E "^ *[0-9]+: [0-9A-F]+:$hex [0-9A-F]+:[0-9A-F]+ 0A " /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
# Private ports come from outside the kernel's ephemeral range: a port of that range can be taken
# by any outgoing connection (or a listen on port 0) between the pick and the app's start, and the
# start then fails with EADDRINUSE (seen under load: an SSH client took the picked port).
dh_px_pick_port() {
  local p i lo=20000 hi=32767 eph_lo='' eph_hi=''
  if read -r eph_lo eph_hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null \
    && [[ $eph_lo =~ ^[0-9]+$ && $eph_hi =~ ^[0-9]+$ ]]; then
    if ((eph_lo > 21024)); then
      hi=$((eph_lo - 1))
    elif ((eph_hi < 64511)); then
      lo=$((eph_hi + 1)) hi=65535
    fi
  fi
  for ((i = 0; i < 500; i++)); do
    p=$((lo + RANDOM % (hi - lo + 1)))
    [ "$p" = "$DH_PX_PUBLIC" ] || [ "$p" = "${DH_PORTS[0]:-}" ] || [ "$p" = "${DH_PORTS[1]:-}" ] && continue
    dh_port_listening "$p" || { printf '%s' "$p"; return 0; }
  done
  return 1
}
dh_px_running() {
  local pid='' start=''
  [ -f "$DH_PX/caddy.pid" ] || return 1
  read -r pid start <"$DH_PX/caddy.pid"
  [[ $pid =~ ^[0-9]+$ ]] && dh_stat "$pid" && [ "${dh_statf[19]:-}" = "$start" ] && [ "${dh_statf[0]:-}" != Z ]
}
dh_px_live() { if [ -e "$DH_PX/route/live-1" ]; then printf 1; else printf 0; fi; }
# dh_px_route SLOT: from now on requests go to SLOT (one atomic file operation, no reload).
dh_px_route() {
  if [ "$1" = 1 ]; then : >"$DH_PX/route/live-1"; else rm -f -- "$DH_PX/route/live-1"; fi
  printf '::deployhooks::route slot=%s port=%s\n' "$1" "${DH_PORTS[$1]}"
}
dh_px_write_config() {
  local c=$DH_PX_CONFIG
  c=${c//@DH_PORT0@/${DH_PORTS[0]}}
  c=${c//@DH_PORT1@/${DH_PORTS[1]}}
  (umask 077 && printf '%s\n' "$c" >"$DH_PX/caddy.json.new") || dh_fail 73 "cannot write $DH_PX/caddy.json.new"
}
dh_px_start() {
  local pid i
  mv -f -- "$DH_PX/caddy.json.new" "$DH_PX/caddy.json" || dh_fail 73 "cannot write $DH_PX/caddy.json"
  rm -f -- "$DH_PX/admin.sock"
  (
    cd -- "$DH_PX" || exit 1
    export HOME="$DH_PX/data" XDG_CONFIG_HOME="$DH_PX/data" XDG_DATA_HOME="$DH_PX/data"
    exec setsid nohup caddy run --config "$DH_PX/caddy.json"
  ) </dev/null >>"$DH_APP/logs/proxy.log" 2>&1 9>&- &
  pid=$!
  disown "$pid" 2>/dev/null
  dh_stat "$pid" || dh_statf=()
  printf '%s %s\n' "$pid" "${dh_statf[19]:-}" >"$DH_PX/caddy.pid" || dh_fail 73 "cannot write $DH_PX/caddy.pid"
  for ((i = 0; i < 100; i++)); do
    if [ -S "$DH_PX/admin.sock" ] && dh_port_listening "$DH_PX_PUBLIC"; then
      chmod 600 -- "$DH_PX/admin.sock"
      printf '::deployhooks::proxy status=started pid=%s port=%s\n' "$pid" "$DH_PX_PUBLIC"
      return 0
    fi
    dh_px_running || break
    sleep 0.1
  done
  dh_tail "$DH_APP/logs/proxy.log"
  kill -TERM "$pid" 2>/dev/null
  dh_fail 1 "the proxy (caddy) did not start listening on port $DH_PX_PUBLIC within 10 s (is the port used by another program?); see $DH_APP/logs/proxy.log"
}
dh_px_reload() {
  mv -f -- "$DH_PX/caddy.json.new" "$DH_PX/caddy.json" || dh_fail 73 "cannot write $DH_PX/caddy.json"
  if command -v curl >/dev/null 2>&1; then
    dh_px_admin POST /load -H 'Content-Type: application/json' --data-binary "@$DH_PX/caddy.json" >/dev/null
  else
    caddy reload --config "$DH_PX/caddy.json" >/dev/null 2>&1
  fi || dh_fail 1 "the proxy (caddy) refused its new configuration; see $DH_APP/logs/proxy.log"
  printf '::deployhooks::proxy status=reloaded port=%s\n' "$DH_PX_PUBLIC"
}
# dh_px_ensure: ports chosen, configuration current, Caddy running.
dh_px_ensure() {
  local p0='' p1=''
  mkdir -p -- "$DH_PX/route" "$DH_PX/data" || dh_fail 73 "cannot create $DH_PX"
  chmod 700 -- "$DH_PX"
  [ -f "$DH_PX/ports" ] && read -r p0 p1 <"$DH_PX/ports"
  DH_PORTS=("$p0" "$p1")
  [[ $p0 =~ ^[0-9]+$ ]] || DH_PORTS[0]=$(dh_px_pick_port) || dh_fail 1 "no free private port found"
  [[ $p1 =~ ^[0-9]+$ ]] || DH_PORTS[1]=$(dh_px_pick_port) || dh_fail 1 "no free private port found"
  printf '%s %s\n' "${DH_PORTS[0]}" "${DH_PORTS[1]}" >"$DH_PX/ports" || dh_fail 73 "cannot write $DH_PX/ports"
  dh_px_write_config
  if dh_px_running; then
    if cmp -s -- "$DH_PX/caddy.json.new" "$DH_PX/caddy.json"; then
      rm -f -- "$DH_PX/caddy.json.new"
    else
      dh_px_reload
    fi
    return 0
  fi
  # An app started before the proxy existed listens on the public port itself: stop it first.
  [ -f "$DH_STATE/app.pid" ] && [ ! -f "$DH_PX/slot" ] && dh_stop_app
  dh_px_start
}
# dh_px_free_slot SLOT: the slot's port is free for a new app (else a new port, configuration reload).
dh_px_free_slot() {
  dh_port_listening "${DH_PORTS[$1]}" || return 0
  dh_say "private port ${DH_PORTS[$1]} is taken by another program; choosing another one"
  DH_PORTS[$1]=$(dh_px_pick_port) || dh_fail 1 "no free private port found"
  printf '%s %s\n' "${DH_PORTS[0]}" "${DH_PORTS[1]}" >"$DH_PX/ports" || dh_fail 73 "cannot write $DH_PX/ports"
  dh_px_write_config
  dh_px_reload
}
# dh_px_drain SLOT: waits (at most DH_DRAIN s) until no request is in flight to SLOT's app.
dh_px_drain() {
  local addr="127.0.0.1:${DH_PORTS[$1]}" deadline n=1 json start=$SECONDS
  deadline=$((SECONDS + DH_DRAIN))
  sleep 0.2
  if ! command -v curl >/dev/null 2>&1; then
    sleep 1
    printf '::deployhooks::drain slot=%s inflight=unknown seconds=%s\n' "$1" "$((SECONDS - start))"
    return 0
  fi
  while :; do
    json=$(dh_px_admin GET /reverse_proxy/upstreams 2>/dev/null) || json=
    n=0
    [[ $json =~ \"address\":\"$addr\",\"num_requests\":([0-9]+) ]] && n=${BASH_REMATCH[1]}
    [ "$n" = 0 ] && break
    [ "$SECONDS" -ge "$deadline" ] && break
    sleep 0.1
  done
  printf '::deployhooks::drain slot=%s inflight=%s seconds=%s\n' "$1" "$n" "$((SECONDS - start))"
  [ "$n" = 0 ] || dh_say "$n request(s) still in flight to the old app after $DH_DRAIN s; stopping it anyway"
  return 0
}
# dh_px_stop: stops this app's Caddy (the stop program).
dh_px_stop() {
  local pid='' start=''
  [ -f "$DH_PX/caddy.pid" ] || return 0
  read -r pid start <"$DH_PX/caddy.pid"
  if dh_px_running; then
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 50; i++)); do dh_px_running || break; sleep 0.1; done
    dh_px_running && kill -KILL "$pid" 2>/dev/null
    printf '::deployhooks::proxy status=stopped pid=%s\n' "$pid"
  fi
  rm -f -- "$DH_PX/caddy.pid" "$DH_PX/admin.sock"
}
