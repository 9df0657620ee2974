# shellcheck shell=bash
# deployhooks host library: HTTP health checks: dh_http_status, dh_health (render/health.ts).
dh_http_status() {
  if [ "$3" != devtcp ] && command -v curl >/dev/null 2>&1; then
    curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$1$2" 2>/dev/null
    return 0
  fi
  # shellcheck disable=SC2016 # $1 and $2 are the inner bash's arguments
  timeout 5 bash --norc -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n" "$2" "$1" >&3
    IFS=" " read -r proto code rest <&3
    printf "%s" "${code//[!0-9]/}"' deployhooks-health "$1" "$2" 2>/dev/null || printf '000'
}
# dh_health PORT PATH TIMEOUT INTERVAL CLIENT
dh_health() {
  local deadline=$((SECONDS + $3)) code attempts=0 url="http://127.0.0.1:$1$2"
  while :; do
    attempts=$((attempts + 1))
    code=$(dh_http_status "$1" "$2" "$5")
    [ -n "$code" ] || code=000
    if [[ $code =~ ^[23][0-9][0-9]$ ]]; then
      printf '::deployhooks::health status=ok code=%s url=%s attempts=%s\n' "$code" "$url" "$attempts"
      return 0
    fi
    [ "$SECONDS" -ge "$deadline" ] && break
    sleep "$4"
  done
  printf '::deployhooks::health status=failed code=%s url=%s attempts=%s\n' "$code" "$url" "$attempts"
  dh_say "health check of $url failed for $3 s (last status: $code, $attempts attempts)"
  return 1
}
