#!/usr/bin/env bash
# The peers of scripts/bench.sh: Debian's FreeRADIUS 3.2 under the same
# radload Stops, on the same machine. PEER=detail (accounting { detail }:
# each Stop appended to a detail file, no fsync, no rating, no database:
# what sites put in front of buffered-sql) or PEER=sql (rlm_sql on MariaDB,
# the stock radacct queries). Needs the freeradius package (and
# freeradius-mysql for sql).
#   PEER=detail N=200000 C=64 scripts/bench-freeradius.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PEER=${PEER:-detail}
N=${N:-200000}
C=${C:-64}
GATEWAYS=${GATEWAYS:-8}
MYSQL_ARGS=${MYSQL_ARGS:--h127.0.0.1 -uroot}
DB=${DB:-radius_bench}
command -v freeradius >/dev/null || { echo "bench-freeradius: needs the freeradius package" >&2; exit 2; }
work=$(mktemp -d)
trap 'kill $(cat "$work/pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/log" "$work/run" "$work/radacct"

case $PEER in
detail)
  module='detail {
  filename = ${radacctdir}/detail
  permissions = 0600
  locking = no
}'
  section=detail ;;
sql)
  [ -f /usr/lib/freeradius/rlm_sql_mysql.so ] || { echo "bench-freeradius: PEER=sql needs freeradius-mysql" >&2; exit 2; }
  mariadb $MYSQL_ARGS -e "DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB"
  mariadb $MYSQL_ARGS "$DB" </etc/freeradius/3.0/mods-config/sql/main/mysql/schema.sql
  module="sql {
    dialect = mysql
    driver = rlm_sql_mysql
    server = 127.0.0.1
    port = 3306
    login = root
    password = \"\"
    radius_db = $DB
    acct_table1 = radacct
    acct_table2 = radacct
    postauth_table = radpostauth
    authcheck_table = radcheck
    groupcheck_table = radgroupcheck
    authreply_table = radreply
    groupreply_table = radgroupreply
    usergroup_table = radusergroup
    delete_stale_sessions = yes
    sql_user_name = \"%{User-Name}\"
    read_clients = no
    client_table = nas
    group_attribute = "SQL-Group"
    pool {
      start = 16
      min = 16
      max = 32
      spare = 16
      uses = 0
      retry_delay = 1
      lifetime = 0
      idle_timeout = 0
    }
    \$INCLUDE /etc/freeradius/3.0/mods-config/sql/main/mysql/queries.conf
  }"
  section=sql ;;
*) echo "PEER=$PEER: want detail or sql" >&2; exit 2 ;;
esac

cat >"$work/radiusd.conf" <<CONF
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
logdir = $work/log
raddbdir = $work
radacctdir = $work/radacct
name = freeradius
confdir = $work
modconfdir = /etc/freeradius/3.0/mods-config
run_dir = $work/run
db_dir = $work
libdir = /usr/lib/freeradius
dictdir = /usr/share/freeradius
pidfile = $work/run/radiusd.pid
max_request_time = 30
cleanup_delay = 5
max_requests = 262144
hostname_lookups = no
log {
  destination = files
  file = $work/log/radius.log
}
security {
  allow_core_dumps = no
  max_attributes = 200
  reject_delay = 0
  status_server = no
}
thread pool {
  start_servers = 32
  max_servers = 32
  min_spare_servers = 3
  max_spare_servers = 32
  max_requests_per_server = 0
  max_queue_size = 262144
}
client bench {
  ipaddr = 127.0.0.1
  secret = bench-secret
}
modules {
# expr provides %{md5:...} and %{tolower:...} (the stock queries use it)
expr {
}
$module
}
server default {
  listen {
    type = acct
    ipaddr = 127.0.0.1
    port = 11913
  }
  preacct {
    # the stock acct_unique policy's key
    update request {
      &Acct-Unique-Session-Id := "%{md5:%{User-Name},%{Acct-Session-Id},%{NAS-IP-Address},%{NAS-Port}}"
    }
  }
  accounting {
    $section
  }
}
CONF
# FreeRADIUS reads the stock dictionaries from dictdir and then its
# confdir's own, which has nothing to add.
echo '# the stock dictionaries only' >"$work/dictionary"
freeradius -f ${FR_DEBUG:-} -d "$work" -n radiusd >"$work/log/stdout" 2>&1 &
echo $! >"$work/pid"
for _ in $(seq 1 50); do grep -qs "Ready to process" "$work/log/radius.log" "$work/log/stdout" && break; sleep 0.2; done
grep -qs "Ready to process" "$work/log/radius.log" "$work/log/stdout" || { cat "$work/log/stdout" "$work/log/radius.log" >&2 2>/dev/null; exit 1; }
echo "FreeRADIUS $(freeradius -v | sed -n 's/.*Version \([0-9.]*\).*/\1/p;q'), accounting { $section }"

. scripts/cpu.sh
cpu_mark "$(cat "$work/pid")"
bin/radload -addr 127.0.0.1:11913 -secret bench-secret -n "$N" -c "$C" -gateways "$GATEWAYS" -acked "$work/acked" || true
cpu_report "$N" Stop
acked=$(wc -l <"$work/acked")
case $PEER in
detail) stored=$(cat "$work/radacct"/detail* 2>/dev/null | grep -c 'Acct-Status-Type = Stop' || true) ;;
sql) stored=$(mariadb $MYSQL_ARGS -N -e "SELECT COUNT(*) FROM $DB.radacct") ;;
esac
echo "acknowledged $acked, stored $stored"
