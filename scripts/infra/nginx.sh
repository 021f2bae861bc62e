# shellcheck shell=bash
# Optional step (up.sh --with-nginx, for the benchmarks): installs nginx-light. It is not started.

nginx_up() {
  step "nginx"
  if command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]]; then
    ok "installed"
  else
    apt_install "nginx" nginx-light
    ok "installed nginx-light (not started)"
  fi
}
