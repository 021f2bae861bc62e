/**
 * Shell programs (busybox sh) that run an exec inside the sandbox. Docker runs
 * `sh -c OUTER_SCRIPT WRAPPER_SCRIPT <execId> <cwd> <argv...>`.
 *
 * OUTER: starts the wrapper under `setsid` (its own session and process group, whose id it writes to
 * /tmp/.sandbox-exec/<execId>/pgid) and waits for it, so Docker records the command's exit code.
 * stdin is passed on explicitly (an `&` command would otherwise get /dev/null).
 *
 * WRAPPER: runs the command with stdout/stderr on FIFOs relayed by two `cat`s. When the command exits
 * and nothing else holds the FIFOs, the wrapper waits for the relays to pass on every byte (no output
 * is ever cut, however loaded the machine). Processes the command leaves in the background
 * (`node server.js &`) inherit the FIFOs, not Docker's pipes: then each relay still held open is
 * handed over to a drain (`cat > /dev/null`) that keeps reading,
 * so the exec's streams close (the call returns) while background writers neither block nor die of
 * SIGPIPE. A timeout kills the whole process group (KILL_SCRIPT), background processes included.
 */
export const EXEC_OUTER_SCRIPT = 'exec 3<&0; setsid sh -c "$0" sandbox-exec "$@" <&3 3<&- & wait $!';

export const EXEC_WRAPPER_SCRIPT = `d="/tmp/.sandbox-exec/$1"; cwd="$2"; shift 2
mkdir -p /tmp/.sandbox-exec 2>/dev/null; mkdir "$d" || exit 125
echo $$ > "$d/pgid"
cd "$cwd" || { rm -rf "$d"; exit 126; }
mkfifo "$d/o" "$d/e" || { rm -rf "$d"; exit 125; }
cat "$d/o" & ro=$!
cat "$d/e" >&2 & re=$!
"$@" >"$d/o" 2>"$d/e"
rc=$?
# Does any process other than the relays still hold one of the FIFOs (a background writer)?
writers() {
  for p in /proc/[0-9]*; do
    case "\${p#/proc/}" in "$ro"|"$re"|"$$") continue ;; esac
    ls -l "$p/fd" 2>/dev/null | grep -qF "$d/" && return 0
  done
  return 1
}
if ! writers; then
  # Nothing left writing: the relays end at EOF once they have passed on every byte.
  wait $ro $re
  rm -rf "$d"
  exit $rc
fi
i=0
while [ $i -lt 20 ] && kill -0 $ro $re 2>/dev/null; do usleep 5000; i=$((i+1)); done
handover() {
  kill -0 "$1" 2>/dev/null || return 0
  exec 4<>"$2"
  cat "$2" >/dev/null 2>&1 </dev/null &
  dr=$!; j=0
  while [ $j -lt 500 ] && ! ls -l /proc/$dr/fd 2>/dev/null | grep -qF "$2"; do usleep 1000; j=$((j+1)); done
  kill "$1" 2>/dev/null
  exec 4<&-
}
handover $ro "$d/o"
handover $re "$d/e"
rm -rf "$d"
exit $rc`;

/** Kills the process group of exec `$1` (waiting briefly for the wrapper to have recorded it). */
export const EXEC_KILL_SCRIPT = `d="/tmp/.sandbox-exec/$1"; i=0
while [ ! -s "$d/pgid" ] && [ $i -lt 100 ]; do usleep 10000; i=$((i+1)); done
p=$(cat "$d/pgid" 2>/dev/null) && [ -n "$p" ] && kill -KILL -"$p" 2>/dev/null
rm -rf "$d"`;
