#!/usr/bin/env bash
# Writes ts/schema/known-logs.json: the fields and Zeek types of the logs Zeek
# writes with its default scripts and Community ID logging ("logs", in Zeek's
# field order), and the further fields its `local` scripts add ("extraFields").
# JSON logs carry no types (and leave out unset fields): ingestion takes a known
# log's columns from here. Needs a Zeek on PATH (or ZEEK_HOME / /opt/zeek); run
# it again when moving to another Zeek release.
set -euo pipefail
cd "$(dirname "$0")/.."
zeek=$(command -v zeek || true)
[ -n "$zeek" ] || zeek="${ZEEK_HOME:-/opt/zeek}/bin/zeek"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
catalog="$PWD/scripts/gen-log-catalog.zeek"
(cd "$work" && "$zeek" policy/protocols/conn/community-id-logging "$catalog") > "$work/default.txt"
(cd "$work" && "$zeek" local policy/protocols/conn/community-id-logging "$catalog") > "$work/local.txt"
version=$("$zeek" --version | awk '{print $NF}')
node -e '
const fs = require("fs");
const [defaults, local, version] = process.argv.slice(1);
const read = file => {
  const logs = {};
  for (const line of fs.readFileSync(file, "utf8").split("\n").filter(Boolean)) {
    const [path, name, type] = line.split(" ");
    (logs[path] ??= []).push({ name, type });
  }
  return logs;
};
const sorted = o => Object.fromEntries(Object.keys(o).sort().map(k => [k, o[k]]));
const logs = read(defaults);
const extraFields = {};
for (const [path, fields] of Object.entries(read(local))) {
  const known = new Set((logs[path] ?? []).map(f => f.name));
  const extra = fields.filter(f => !known.has(f.name));
  if (extra.length) extraFields[path] = extra;
}
fs.writeFileSync("ts/schema/known-logs.json", JSON.stringify({ zeek: version, logs: sorted(logs), extraFields: sorted(extraFields) }, null, 1) + "\n");
console.log(`${Object.keys(logs).length} logs (${Object.keys(extraFields).length} with more fields under local) from Zeek ${version}`);
' "$work/default.txt" "$work/local.txt" "$version"
