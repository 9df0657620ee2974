# shellcheck shell=bash
# deployhooks host library: secrets from stdin (format: render/secrets.ts, render/README.md §1).

# dh_read_secrets NAME...: fills dh_secrets from the stdin block and checks every NAME arrived.
dh_read_secrets() {
  local line name b64 value want
  if ! IFS= read -r line || [ "$line" != 'deployhooks-secrets v1' ]; then
    dh_fail 65 "expected the secrets block ('deployhooks-secrets v1' from encodeSecretsForStdin) on stdin for: $*"
  fi
  while :; do
    IFS= read -r line || dh_fail 65 "stdin ended before the '.end' line of the secrets block"
    [ "$line" = '.end' ] && break
    name=${line%% *}
    if [[ $line != *' '* || ! $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]]; then
      dh_fail 65 "malformed line in the secrets block on stdin (expected: NAME BASE64)"
    fi
    b64=${line#* }
    value=$(printf '%s' "$b64" | base64 -d && printf x) || dh_fail 65 "secret $name on stdin is not valid base64"
    dh_secrets["$name"]=${value%x}
  done
  for want in "$@"; do
    [[ -v dh_secrets[$want] ]] || dh_fail 65 "secret $want was not given on stdin"
  done
}
