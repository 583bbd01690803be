# Sourced by scripts/setup.sh (and its test): where a Zeek is looked for, as the build and the tests look —
# zeek-config on PATH, $ZEEK_HOME, then /opt/zeek ($ZEEK_ARROW_FALLBACK_ZEEK names another prefix).

have_zeek() {
  command -v zeek-config >/dev/null 2>&1 || [ -x "${ZEEK_HOME:-/nonexistent}/bin/zeek-config" ] \
    || [ -x "${ZEEK_ARROW_FALLBACK_ZEEK:-/opt/zeek}/bin/zeek-config" ]
}

# A build directory configured while there was no Zeek keeps "skipped: no Zeek" in its CMake cache, and cmake-js
# only configures a build without a cache: once a Zeek is found, drop the cache so the next build configures again.
reconfigure_if_zeek_arrived() {
  local cache="$1/CMakeCache.txt"
  if [ -f "$cache" ] && grep -q '^ZEEK_ARROW_PLUGIN:INTERNAL=skipped: no Zeek$' "$cache" && have_zeek; then
    echo "zeek-arrow: Zeek found since $1 was configured without it: configuring again to build the plugin"
    rm -f "$cache"
  fi
}
