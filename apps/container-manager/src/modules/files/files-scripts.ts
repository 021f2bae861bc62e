/**
 * File operations run INSIDE the sandbox (busybox sh, as the sandbox user), so every path, `..` and
 * symlink is resolved by the kernel in the container's mount namespace: the only host directory
 * there is the workspace itself, so a link planted by the sandbox can never reach a host file.
 * Results are also checked to stay under /workspace (refused otherwise), a second, in-sandbox fence.
 *
 * Exit codes: 64 not found, 65 outside the workspace, 66 is a directory, 67 not a directory,
 * 68 already exists, 69 other failure (message on stderr), 70 too large, 71 the path changed under the
 * operation (the sandbox moved or removed it meanwhile), 72 the workspace filesystem is full (its quota).
 */
export const FILES_SCRIPT = `W=/workspace; set -C
op="$1"; shift
fail() { printf '%s' "$2" >&2; exit "$1"; }
inside() { case "$1" in "$W"|"$W"/*) return 0;; *) return 1;; esac; }
real() { r=$(realpath "$1" 2>/dev/null) || fail 64 "no such file or directory"; inside "$r" || fail 65 "path resolves outside the workspace"; [ -e "$r" ] || fail 64 "no such file or directory"; }
ancestors() { a="$1"; while [ ! -e "$a" ] && [ ! -L "$a" ]; do a=$(dirname -- "$a"); done; real "$a"; }
entry() { stat -c '%F|%s|%y' -- "$1" || fail 69 "stat failed"; }
case "$op" in
read)
  real "$W/$1"; [ -d "$r" ] && fail 66 "is a directory"; [ -f "$r" ] || fail 69 "not a regular file"
  s=$(stat -c %s -- "$r") || fail 71 "changed during the operation"; [ "$s" -gt "$2" ] && fail 70 "file is larger than $2 bytes"
  cat -- "$r" || fail 71 "changed during the operation" ;;
write)
  p="$W/$1"; parent=$(dirname -- "$p"); base=$(basename -- "$p")
  ancestors "$parent"; mkdir -p -- "$parent" 2>/dev/null; real "$parent"; [ -d "$r" ] || fail 67 "parent is not a directory"
  t="$r/$base"; [ -d "$t" ] && fail 66 "is a directory"
  tmp="$r/.$base.sandbox-write.$$"
  e=$( { cat > "$tmp"; } 2>&1 ) || { rm -f -- "$tmp"; case "$e" in *"No space left"*) fail 72 "the workspace is full";; esac; fail 69 "cannot write the file"; }
  mv -f -- "$tmp" "$t" || { rm -f -- "$tmp"; fail 69 "cannot write the file"; }
  stat -c %s -- "$t" || fail 71 "changed during the operation" ;;
mkdir)
  p="$W/$1"; ancestors "$p"; mkdir -p -- "$p" 2>/dev/null; real "$p"; [ -d "$r" ] || fail 67 "not a directory"; entry "$r" ;;
stat)
  p="$W/$1"; real "$(dirname -- "$p")"; t="$r/$(basename -- "$p")"
  [ -e "$t" ] || [ -L "$t" ] || fail 64 "no such file or directory"; entry "$t" ;;
delete)
  p="$W/$1"; real "$(dirname -- "$p")"; t="$r/$(basename -- "$p")"
  [ -e "$t" ] || [ -L "$t" ] || fail 64 "no such file or directory"; inside "$t" && [ "$t" != "$W" ] || fail 65 "cannot delete the workspace"
  rm -rf -- "$t" || fail 69 "cannot delete" ;;
move)
  f="$W/$1"; real "$(dirname -- "$f")"; src="$r/$(basename -- "$f")"
  [ -e "$src" ] || [ -L "$src" ] || fail 64 "no such file or directory"; [ "$src" != "$W" ] || fail 65 "cannot move the workspace"
  t="$W/$2"; tp=$(dirname -- "$t"); ancestors "$tp"; mkdir -p -- "$tp" 2>/dev/null; real "$tp"
  dst="$r/$(basename -- "$t")"; { [ -e "$dst" ] || [ -L "$dst" ]; } && fail 68 "destination already exists"
  mv -- "$src" "$dst" 2>/dev/null || fail 69 "cannot move"; entry "$dst" ;;
*) fail 69 "unknown operation" ;;
esac`;

/** Directory listing (node, for exact names and millisecond mtimes): JSON [name, type, size, mtimeMs][]. */
export const LIST_SCRIPT = `const fs = require('fs'), path = require('path'); const W = '/workspace';
const fail = (code, msg) => { process.stderr.write(msg); process.exit(code); };
let r; try { r = fs.realpathSync(path.join(W, process.argv[1])); } catch { fail(64, 'no such file or directory'); }
if (r !== W && !r.startsWith(W + '/')) fail(65, 'path resolves outside the workspace');
if (!fs.statSync(r).isDirectory()) fail(67, 'not a directory');
const out = [];
for (const name of fs.readdirSync(r)) {
  try { const s = fs.lstatSync(path.join(r, name)); out.push([name, s.isSymbolicLink() ? 'symlink' : s.isDirectory() ? 'dir' : 'file', s.size, s.mtimeMs]); } catch {}
}
process.stdout.write(JSON.stringify(out));`;
