/**
 * Shell programs of the bootstrap pipeline, run inside the sandbox as its user (the container-manager's
 * exec): the clone obeys the sandbox's network rules and can only write the workspace. Every value
 * (URL, ref) arrives as a positional argument, never spliced into the script; the token only through
 * the environment of this one process (GIT_PASSWORD), read by an inline credential helper given for
 * this command only: it is never in argv, in the URL or in .git/config.
 */

/** `sh -c CLONE_SCRIPT clone <url> <ref or ""> <scratch name>`; prints `{"commit":..,"ref":..}` last. */
export const CLONE_SCRIPT = `set -u
url="$1"; ref="$2"; tmp="/workspace/$3"
# Left over by an earlier attempt of this run (a worker lost mid-clone): start again.
rm -rf "$tmp"
if [ -n "$(ls -A /workspace 2>/dev/null)" ]; then
  echo "The workspace is not empty: bootstrap clones into an empty workspace" >&2
  exit 3
fi
export GIT_TERMINAL_PROMPT=0 GIT_CONFIG_NOSYSTEM=1
# The token's helper: an inline credential helper (the sandbox's /tmp is noexec and its root read-only,
# so no askpass program can be written). Its text names $GIT_PASSWORD; the shell git starts for it
# expands the variable, so the token itself is never in an argument list.
if [ -n "\${GIT_PASSWORD:-}" ]; then
  set -- -c credential.helper= -c 'credential.helper=!f() { test "$1" = get || exit 0; echo username=x-access-token; echo "password=$GIT_PASSWORD"; }; f'
else
  set -- -c credential.helper=
fi
set -- "$@" clone --single-branch
if [ -n "$ref" ]; then set -- "$@" --branch "$ref"; fi
git -c core.hooksPath=/dev/null -c protocol.allow=never -c protocol.https.allow=always \\
  -c protocol.http.allow=always -c protocol.ssh.allow=always "$@" -- "$url" "$tmp" || { rc=$?; rm -rf "$tmp"; exit $rc; }
for f in "$tmp"/* "$tmp"/.[!.]* "$tmp"/..?*; do
  if [ -e "$f" ] || [ -L "$f" ]; then mv "$f" /workspace/ || exit 5; fi
done
rmdir "$tmp" || exit 5
cd /workspace || exit 5
if [ -n "\${GIT_PASSWORD:-}" ] && grep -rqF -- "$GIT_PASSWORD" .git 2>/dev/null; then
  echo "the token was written into .git; refusing to keep it" >&2
  rm -rf /workspace/.git
  exit 6
fi
printf '{"commit":"%s","ref":"%s"}\\n' "$(git rev-parse HEAD)" "$(git rev-parse --abbrev-ref HEAD)"
`;

/** Lists which project files exist at the workspace root, one name per line. */
export const DETECT_SCRIPT = `cd /workspace || exit 1
for f in package.json package-lock.json requirements.txt pyproject.toml setup.py go.mod Cargo.toml Makefile; do
  [ -f "$f" ] && echo "$f"
done
command -v npm >/dev/null 2>&1 && echo "tool:npm"
command -v python3 >/dev/null 2>&1 && echo "tool:python3"
command -v go >/dev/null 2>&1 && echo "tool:go"
command -v cargo >/dev/null 2>&1 && echo "tool:cargo"
command -v make >/dev/null 2>&1 && echo "tool:make"
exit 0
`;
