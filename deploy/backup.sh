#!/usr/bin/env bash
# Back up the production database with pg_dump (custom format: compressed, restorable table by table)
# and delete backups older than KEEP_DAYS (default 30). Prints the new file's path.
#
#   DATABASE_URL=postgresql+psycopg://cds@127.0.0.1:5432/cds deploy/backup.sh [/var/backups/cds]
#
# Nightly in root's crontab, then the restore check on the result:
#   15 2 * * * set -a && . /etc/cds.env && set +a && f=$(/srv/cds/deploy/backup.sh) && /srv/cds/deploy/restore-check.sh "$f"
set -euo pipefail
umask 077

url="${DATABASE_URL:?DATABASE_URL must name the PostgreSQL database}"
url="${url/postgresql+psycopg:/postgresql:}"  # SQLAlchemy's URL to libpq's
dir="${1:-/var/backups/cds}"
keep_days="${KEEP_DAYS:-30}"

mkdir -p "$dir"
file="$dir/cds-$(date +%Y%m%d-%H%M%S).dump"
pg_dump --format=custom --no-owner --no-privileges --file="$file.partial" "$url"
mv "$file.partial" "$file"  # a file named .dump is always complete
find "$dir" -maxdepth 1 -name 'cds-*.dump' -mtime +"$keep_days" -delete
echo "$file"
