#!/usr/bin/env bash
# Prove a backup restores: load it into a scratch database, count the rows of the key tables, drop
# the scratch database. Fails (exit 1) if the restore fails or a table that is never empty is empty.
#
#   ADMIN_URL=postgresql://postgres@127.0.0.1:5432/postgres deploy/restore-check.sh FILE.dump
#
# ADMIN_URL needs the right to create databases (default: the local server as postgres).
set -euo pipefail

dump="${1:?usage: restore-check.sh BACKUP.dump}"
admin="${ADMIN_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
admin="${admin/postgresql+psycopg:/postgresql:}"
scratch="cds_restore_check_$(date +%Y%m%d%H%M%S)_$$"
scratch_url="${admin%/*}/$scratch"

psql -X -q -v ON_ERROR_STOP=1 "$admin" -c "CREATE DATABASE \"$scratch\""
trap 'psql -X -q "$admin" -c "DROP DATABASE IF EXISTS \"$scratch\" WITH (FORCE)"' EXIT
pg_restore --no-owner --no-privileges --exit-on-error --dbname="$scratch_url" "$dump"

counts=$(psql -X -At -F ' ' -v ON_ERROR_STOP=1 "$scratch_url" <<'SQL'
SELECT 'alembic_version', count(*) FROM alembic_version
UNION ALL SELECT 'provinces', count(*) FROM provinces
UNION ALL SELECT 'agencies', count(*) FROM agencies
UNION ALL SELECT 'users', count(*) FROM users
UNION ALL SELECT 'plans', count(*) FROM plans
UNION ALL SELECT 'tasks', count(*) FROM tasks
UNION ALL SELECT 'assignments', count(*) FROM assignments
UNION ALL SELECT 'assignment_states', count(*) FROM assignment_states
UNION ALL SELECT 'indicators', count(*) FROM indicators
UNION ALL SELECT 'indicator_values', count(*) FROM indicator_values
UNION ALL SELECT 'report_submissions', count(*) FROM report_submissions
UNION ALL SELECT 'change_log', count(*) FROM change_log;
SQL
)
echo "$counts"
never_empty='^(alembic_version|provinces|agencies|users|plans|tasks|assignments|assignment_states)$'
empty=$(awk -v names="$never_empty" '$2 == 0 && $1 ~ names {print $1}' <<<"$counts")
if [ -n "$empty" ]; then
    echo "restore check FAILED: empty $(echo $empty)" >&2
    exit 1
fi
echo "restore check OK: $dump"
