/**
 * THE HOOK WRAPPER CONTRACT (SPEC §6), the part that runs one script:
 * - the body is written to `.deployhooks/hooks/<release>-<label>.sh` and run as
 *   `bash --norc <file>` (no `~/.bashrc`), so it fails only if its last command fails unless the body
 *   says `set -e` itself;
 * - cwd, environment (an env function) and a fresh TMPDIR are set in a subshell;
 * - stdin is /dev/null, stdout+stderr go to `logs/<release>-<label>.log`, fd 9 (the lock) is
 *   closed: a background child left by the body holds neither the SSH channel nor the lock;
 * - a timeout runs the body under `timeout --kill-after=10s N` (GNU timeout signals the whole
 *   process group it leads, so children die too) and is reported `timed out after N s`;
 * - one JSON line goes to `.deployhooks/history.jsonl`; a bounded, secret-redacted tail of the
 *   log and marker lines go to stdout; `warn` returns 0 with a `warn` marker, `abort` returns the
 *   hook's exit status.
 */
import type { HookFailure } from "../model/app";
import { bash } from "./bashTemplate";
import { HINT_126, HINT_127, MARKER_PREFIX as M, TAIL_PREFIX } from "./messages";
import { assertFingerprint, assertInteger, assertToken, shellQuote } from "./quote";

/** Bash: dh_history, dh_tail, dh_run. */
export const RUN_BASH = bash`
DH_HINT_126=${shellQuote(HINT_126)}
DH_HINT_127=${shellQuote(HINT_127)}
dh_history() {
  printf '{"hook":"%s","release":"%s","fingerprint":"%s","start":"%s","end":"%s","exitCode":%d,"outcome":"%s"}\n' \
    "$1" "$DH_RELEASE" "$2" "$3" "$4" "$5" "$6" >>"$DH_STATE/history.jsonl" \
    || dh_say "warning: cannot append to $DH_STATE/history.jsonl"
}
dh_tail() {
  local t n v
  [ "$DH_TAIL_LINES" -gt 0 ] || return 0
  t=$(tail -n "$DH_TAIL_LINES" -- "$1" 2>/dev/null) || return 0
  for n in "@{!dh_secrets[@]}"; do
    v=@{dh_secrets[$n]}
    [ "@{#v}" -ge 4 ] && t=@{t//"$v"/[redacted:$n]}
  done
  [ -n "$t" ] || return 0
  printf '%s\n' "$t" | cut -c "1-$DH_TAIL_WIDTH" | sed 's/^/${TAIL_PREFIX}/'
}
# dh_run LABEL FILE CWD TIMEOUT(empty: none) POLICY(abort|warn) FINGERPRINT ENVFN ABORTNOTE
dh_run() {
  local label=$1 file=$2 cwd=$3 tmo=$4 policy=$5 fp=$6 envfn=$7 note=$8
  local log="$DH_APP/logs/$DH_RELEASE-$label.log" tmp start end rc t0 secs outcome timed=0 what
  [ -d "$cwd" ] || dh_fail 66 "hook $label: working directory $cwd does not exist"
  tmp=$(mktemp -d "$DH_STATE/tmp/$DH_RELEASE-$label.XXXXXX") || dh_fail 73 "cannot create a TMPDIR under $DH_STATE/tmp"
  (umask 077 && printf '=== deployhooks %s release=%s start=%s\n' "$label" "$DH_RELEASE" "$(dh_now)" >>"$log") \
    || dh_fail 73 "cannot write $log"
  start=$(dh_now)
  t0=$SECONDS
  (
    cd -- "$cwd" || exit 1
    "$envfn"
    export TMPDIR="$tmp"
    if [ -n "$tmo" ]; then exec timeout --kill-after=10s "$tmo" bash --norc -- "$file"; fi
    exec bash --norc -- "$file"
  ) </dev/null >>"$log" 2>&1 9>&-
  rc=$?
  end=$(dh_now)
  secs=$((SECONDS - t0))
  chmod -R u+w -- "$tmp" 2>/dev/null
  rm -rf -- "$tmp"
  if [ -n "$tmo" ] && { [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; } && [ "$secs" -ge "$tmo" ]; then timed=1; fi
  if [ "$timed" = 1 ]; then outcome=timedOut
  elif [ "$rc" -eq 0 ]; then outcome=ok
  elif [ "$policy" = warn ]; then outcome=warned
  else outcome=failed
  fi
  printf '=== deployhooks %s exit=%s outcome=%s seconds=%s\n' "$label" "$rc" "$outcome" "$secs" >>"$log"
  dh_history "$label" "$fp" "$start" "$end" "$rc" "$outcome"
  dh_tail "$log"
  printf '${M}run hook=%s exit=%s outcome=%s seconds=%s log=%s\n' "$label" "$rc" "$outcome" "$secs" "$log"
  [ "$outcome" = ok ] && return 0
  if [ "$timed" = 1 ]; then
    printf '${M}timeout hook=%s after=%s\n' "$label" "$tmo"
    what="hook $label timed out after $tmo s"
  else
    what="hook $label exited with status $rc"
    case $rc in
      126) what+=" ($DH_HINT_126)" ;;
      127) what+=" ($DH_HINT_127)" ;;
    esac
  fi
  if [ "$policy" = warn ]; then
    printf '${M}warn hook=%s exit=%s timedOut=%s\n' "$label" "$rc" "$timed"
    dh_say "warning: $what; failure policy warn: the deployment continues (full log: $log)"
    return 0
  fi
  printf '${M}failed hook=%s exit=%s timedOut=%s\n' "$label" "$rc" "$timed"
  dh_say "$what; failure policy abort: the deployment stops$note (full log: $log)"
  return "$rc"
}
`;

/** One script run inside a step. */
export interface RunSpec {
  /** Hook name (`deploy`) or step label (`step:build`): names the log, history entry and markers. */
  label: string;
  /** The script body, run as `bash <file>` exactly as written. */
  script: string;
  /** Absolute working directory on the host. */
  cwd: string;
  timeoutSeconds: number | null;
  failure: HookFailure;
  /** Recorded in history (e.g. a digest of the step's triggers); may be empty. */
  fingerprint: string;
  /** Name of the bash env function (see renderEnvFunction). */
  envFunction: string;
  /** Appended to the abort message, e.g. `; the current release keeps serving`. */
  abortNote: string;
}

/** A heredoc delimiter that is not a line of `text`. */
export function heredocDelimiter(text: string): string {
  const lines = new Set(text.split("\n"));
  let delimiter = "DEPLOYHOOKS_BODY";
  for (let i = 1; lines.has(delimiter); i++) delimiter = `DEPLOYHOOKS_BODY_${i}`;
  return delimiter;
}

/**
 * Bash that writes the body to its file and runs it; leaves the run's policy status in `$?`
 * (0 for ok and warned runs, the hook's status for aborting failures).
 */
export function renderRun(spec: RunSpec): string {
  assertToken(spec.label, "hook name", 64);
  if (spec.timeoutSeconds !== null) {
    assertInteger(spec.timeoutSeconds, 1, 7 * 86400, `hooks.${spec.label}.timeoutSeconds`);
  }
  shellQuote(spec.script, `hooks.${spec.label}.script`);
  assertFingerprint(spec.fingerprint, "fingerprint");
  const file = `$DH_STATE/hooks/$DH_RELEASE-${spec.label}.sh`;
  const body = spec.script === "" || spec.script.endsWith("\n") ? spec.script : `${spec.script}\n`;
  const delimiter = heredocDelimiter(spec.script);
  return [
    `cat >"${file}" <<'${delimiter}' || dh_fail 73 "cannot write ${file}"`,
    `${body}${delimiter}`,
    [
      "dh_run",
      shellQuote(spec.label),
      `"${file}"`,
      shellQuote(spec.cwd),
      shellQuote(spec.timeoutSeconds === null ? "" : String(spec.timeoutSeconds)),
      spec.failure,
      shellQuote(spec.fingerprint),
      spec.envFunction,
      shellQuote(spec.abortNote),
    ].join(" "),
  ].join("\n");
}
