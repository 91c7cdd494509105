#!/usr/bin/env bash
# A three-node MariaDB Galera cluster on 127.0.0.1 for the Galera tests:
# one data directory and port set per node under $GALERA_DIR (default
# /tmp/radbill-galera); node 1 bootstraps the cluster, 2 and 3 join it by
# rsync SST. Needs Debian's mariadb-server, galera-4 and rsync.
#   scripts/galera.sh start   # prints the nodes' DSNs
#   scripts/galera.sh stop
#   scripts/galera.sh kill N  # kill -9 node N
#   scripts/galera.sh restart N  # node N rejoins (IST from the others)
# Node N serves SQL on 331N, Galera replication on 457N.
set -euo pipefail
DIR=${GALERA_DIR:-/tmp/radbill-galera}
PROVIDER=${GALERA_PROVIDER:-/usr/lib/galera/libgalera_smm.so}
# As root the nodes run as mysql: rsync SST would drop to nobody, who
# cannot write the joiner's data directory.
RUN_AS=()
[ "$(id -u)" = 0 ] && RUN_AS=(--user=mysql)

node_cnf() {
  local n=$1
  cat <<EOF
[mysqld]
datadir=$DIR/node$n/data
socket=$DIR/node$n/mysqld.sock
pid-file=$DIR/node$n/mysqld.pid
log-error=$DIR/node$n/error.log
tmpdir=$DIR/node$n
port=331$n
bind-address=127.0.0.1
skip-name-resolve
binlog_format=ROW
default_storage_engine=InnoDB
innodb_autoinc_lock_mode=2
innodb_buffer_pool_size=64M
innodb_log_file_size=48M
innodb_flush_log_at_trx_commit=1
max_connections=300
wsrep_on=ON
wsrep_provider=$PROVIDER
wsrep_cluster_name=radbill_test
wsrep_cluster_address=gcomm://127.0.0.1:4571,127.0.0.1:4572,127.0.0.1:4573
wsrep_node_address=127.0.0.1:457$n
wsrep_node_name=node$n
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:457$n;ist.recv_addr=127.0.0.1:458$n;gcache.size=64M"
wsrep_sst_receive_address=127.0.0.1:459$n
wsrep_sst_method=rsync
EOF
}

sql() { mariadb --socket="$DIR/node$1/mysqld.sock" -uroot -N -e "$2"; }

wait_ready() {
  local n=$1
  for _ in $(seq 1 120); do
    if [ "$(sql "$n" "SHOW STATUS LIKE 'wsrep_ready'" 2>/dev/null | cut -f2)" = ON ]; then
      return 0
    fi
    sleep 1
  done
  echo "galera: node $n did not become ready; its log:" >&2
  tail -40 "$DIR/node$n/error.log" >&2
  return 1
}

start_node() {
  local n=$1 first=${2:-}
  mkdir -p "$DIR/node$n"
  node_cnf "$n" >"$DIR/node$n/my.cnf"
  [ "$(id -u)" = 0 ] && chown -R mysql:mysql "$DIR"
  if [ ! -d "$DIR/node$n/data/mysql" ]; then
    mariadb-install-db --defaults-file="$DIR/node$n/my.cnf" "${RUN_AS[@]}" --auth-root-authentication-method=normal >"$DIR/node$n/install.log" 2>&1
    [ "$(id -u)" = 0 ] && chown -R mysql:mysql "$DIR"
  fi
  local extra=()
  [ -n "$first" ] && extra=(--wsrep-new-cluster)
  mariadbd --defaults-file="$DIR/node$n/my.cnf" "${RUN_AS[@]}" "${extra[@]}" >>"$DIR/node$n/stdout.log" 2>&1 &
  wait_ready "$n"
}

case ${1:-} in
start)
  "$0" stop >/dev/null 2>&1 || true
  rm -rf "$DIR"
  start_node 1 bootstrap
  # Over TCP from 127.0.0.1, as the tests connect; replicated to the others.
  sql 1 "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION"
  start_node 2
  start_node 3
  echo "galera: cluster size $(sql 1 "SHOW STATUS LIKE 'wsrep_cluster_size'" | cut -f2)"
  echo "root@tcp(127.0.0.1:3311)/,root@tcp(127.0.0.1:3312)/,root@tcp(127.0.0.1:3313)/"
  ;;
stop)
  for n in 1 2 3; do
    [ -f "$DIR/node$n/mysqld.pid" ] && kill "$(cat "$DIR/node$n/mysqld.pid")" 2>/dev/null || true
  done
  for n in 1 2 3; do
    for _ in $(seq 1 30); do [ -f "$DIR/node$n/mysqld.pid" ] || break; sleep 1; done
  done
  ;;
kill)
  kill -9 "$(cat "$DIR/node${2:?node}/mysqld.pid")"
  rm -f "$DIR/node$2/mysqld.pid"
  ;;
restart)
  start_node "${2:?node}"
  ;;
*)
  echo "usage: $0 start|stop|kill N|restart N" >&2
  exit 2
  ;;
esac
