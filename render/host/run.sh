# shellcheck shell=bash
# deployhooks host library: the hook wrapper contract (render/README.md §3): dh_history, dh_run.

DH_HINT_126='hint: exit 126 means a script is not executable: make it executable in the repository (git update-index --chmod=+x <file>) or call it as bash <file>'
DH_HINT_127='hint: exit 127 means a command was not found: check the command name, PATH, and that the script path exists relative to the hook'\''s directory'

# dh_history LABEL FINGERPRINT START END EXIT OUTCOME: one line of history.jsonl.
dh_history() {
  printf '{"hook":"%s","release":"%s","fingerprint":"%s","start":"%s","end":"%s","exitCode":%d,"outcome":"%s"}\n' \
    "$1" "$DH_RELEASE" "$2" "$3" "$4" "$5" "$6" >>"$DH_STATE/history.jsonl" \
    || dh_say "warning: cannot append to $DH_STATE/history.jsonl"
}
# dh_follow LOG FROM PID: while PID runs, the lines appended to LOG after byte FROM, live: the
# first DH_LIVE_LINES of them, each redacted and cut (dh_emit_line). tail checks PID every 0.05 s
# (new lines come through inotify at once): a hook that has ended is noticed within 0.02 s.
dh_follow() {
  [ "$DH_LIVE_LINES" -gt 0 ] || return 0
  tail -c "+$(($2 + 1))" -s 0.02 --pid="$3" -f -- "$1" 2>/dev/null | {
    local n=0 line
    while [ "$n" -lt "$DH_LIVE_LINES" ] && { IFS= read -r line || [ -n "$line" ]; }; do
      dh_emit_line "$line"
      n=$((n + 1))
    done
  }
  return 0
}
# dh_rest LOG FROM LABEL: after the run, what the live output left out: one line counting the lines
# not shown (and naming the full log), then the last DH_TAIL_LINES lines not shown yet.
dh_rest() {
  local total rest t left
  total=$(tail -c "+$(($2 + 1))" -- "$1" | wc -l)
  rest=$((total - DH_LIVE_LINES))
  [ "$rest" -gt 0 ] || return 0
  t=$DH_TAIL_LINES
  [ "$rest" -lt "$t" ] && t=$rest
  left=$((rest - t))
  [ "$left" -gt 0 ] && dh_say "[$left lines of $3 left out here: the full log is $1 on the host]"
  [ "$t" -gt 0 ] && tail -c "+$(($2 + 1))" -- "$1" | tail -n "$t" | dh_emit_lines
  return 0
}
# dh_reason LABEL: why LABEL runs, from the step's trigger entries (DH_TRIGGERS, "key=value") and
# those of its previous run on this host ($DH_STATE/triggers/LABEL): the keys that changed, joined
# by ",", or "first" (no earlier run) or "retry" (same entries). Sets dh_reason_text.
dh_reason() {
  local f="$DH_STATE/triggers/$1" e o k found out=""
  local -a old=()
  dh_reason_text=-
  [ "${#DH_TRIGGERS[@]}" -gt 0 ] || return 0
  if [ -f "$f" ]; then
    mapfile -t old <"$f"
    for e in "${DH_TRIGGERS[@]}" "${old[@]}"; do
      found=0
      for o in "${DH_TRIGGERS[@]}"; do [ "$o" = "$e" ] && found=$((found + 1)); done
      for o in "${old[@]}"; do [ "$o" = "$e" ] && found=$((found + 1)); done
      [ "$found" -ge 2 ] && continue
      k=${e%%=*}
      k=${k// /_}
      case ",$out," in *",$k,"*) ;; *) out+="${out:+,}$k" ;; esac
    done
    dh_reason_text=${out:-retry}
  else
    dh_reason_text=first
  fi
  if ! { { [ -d "$DH_STATE/triggers" ] || mkdir -p -- "$DH_STATE/triggers"; } && printf '%s\n' "${DH_TRIGGERS[@]}" >"$f"; }; then
    dh_say "warning: cannot write $f"
  fi
  return 0
}
# dh_run LABEL FILE CWD TIMEOUT(empty: none) POLICY(abort|warn) FINGERPRINT ENVFN ABORTNOTE
# Runs FILE with bash in CWD; returns 0 for ok and warned runs, the hook's status otherwise.
dh_run() {
  local label=$1 file=$2 cwd=$3 tmo=$4 policy=$5 fp=$6 envfn=$7 note=$8
  local log="$DH_APP/logs/$DH_RELEASE-$label.log" tmp start end rc t0 secs outcome timed=0 what from pid
  [ -d "$cwd" ] || dh_fail 66 "hook $label: working directory $cwd does not exist"
  tmp=$(mktemp -d "$DH_STATE/tmp/$DH_RELEASE-$label.XXXXXX") || dh_fail 73 "cannot create a TMPDIR under $DH_STATE/tmp"
  (umask 077 && printf '=== deployhooks %s release=%s start=%s\n' "$label" "$DH_RELEASE" "$(dh_now)" >>"$log") \
    || dh_fail 73 "cannot write $log"
  from=$(stat -c %s -- "$log") || from=0
  start=$(dh_now)
  t0=$SECONDS
  (
    cd -- "$cwd" || exit 1
    "$envfn"
    export TMPDIR="$tmp"
    if [ -n "$tmo" ]; then exec timeout --kill-after=10s "$tmo" bash --norc -- "$file"; fi
    exec bash --norc -- "$file"
  ) </dev/null >>"$log" 2>&1 9>&- &
  pid=$!
  dh_follow "$log" "$from" "$pid"
  wait "$pid"
  rc=$?
  end=$(dh_now)
  secs=$((SECONDS - t0))
  # A hook may leave read-only files or directories in its TMPDIR.
  rm -rf -- "$tmp" 2>/dev/null || { chmod -R u+w -- "$tmp" 2>/dev/null; rm -rf -- "$tmp"; }
  if [ -n "$tmo" ] && { [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; } && [ "$secs" -ge "$tmo" ]; then timed=1; fi
  if [ "$timed" = 1 ]; then
    outcome=timedOut
  elif [ "$rc" -eq 0 ]; then
    outcome=ok
  elif [ "$policy" = warn ]; then
    outcome=warned
  else
    outcome=failed
  fi
  dh_rest "$log" "$from" "$label"
  printf '=== deployhooks %s exit=%s outcome=%s seconds=%s\n' "$label" "$rc" "$outcome" "$secs" >>"$log"
  dh_history "$label" "$fp" "$start" "$end" "$rc" "$outcome"
  dh_reason "$label"
  printf '::deployhooks::run hook=%s exit=%s outcome=%s seconds=%s log=%s reason=%s\n' "$label" "$rc" "$outcome" "$secs" "$log" "$dh_reason_text"
  [ "$outcome" = ok ] && return 0
  if [ "$timed" = 1 ]; then
    printf '::deployhooks::timeout hook=%s after=%s\n' "$label" "$tmo"
    what="hook $label timed out after $tmo s"
  else
    what="hook $label exited with status $rc"
    case $rc in
      126) what+=" ($DH_HINT_126)" ;;
      127) what+=" ($DH_HINT_127)" ;;
    esac
  fi
  if [ "$policy" = warn ]; then
    printf '::deployhooks::warn hook=%s exit=%s timedOut=%s\n' "$label" "$rc" "$timed"
    dh_say "warning: $what; failure policy warn: the deployment continues (full log: $log)"
    return 0
  fi
  printf '::deployhooks::failed hook=%s exit=%s timedOut=%s\n' "$label" "$rc" "$timed"
  dh_say "$what; failure policy abort: the deployment stops$note (full log: $log)"
  return "$rc"
}
