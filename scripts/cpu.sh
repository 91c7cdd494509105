# Sourced by the bench scripts: CPU time per operation of each process on
# the box, so that runs on machines of different speed (or a shared box
# whose throughput swings) can be compared by what each part costs.

# proc_cpu_us PID: user+system CPU time of a running process, in µs.
proc_cpu_us() { awk -v hz="$(getconf CLK_TCK)" '{printf "%d\n", ($14 + $15) * 1000000 / hz}' "/proc/$1/stat"; }

# children_cpu_us VAR: sets VAR to the user+system CPU time of this shell's
# finished children, in µs. `times` must run in this shell: in a pipe or
# $(...) it would report a subshell's children.
children_cpu_us() {
  local f
  f=$(mktemp)
  times >"$f"
  printf -v "$1" '%s' "$(awk 'NR == 2 { n = 0; for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); n += t[1] * 60 + t[2] } printf "%d", n * 1000000 }' "$f")"
  rm -f "$f"
}

# cpu_mark PID: remember the CPU times of radiusd (PID), MariaDB and this
# shell's finished children (the load generator, once it has run).
cpu_mark() {
  cpu_pid=$1
  cpu_radiusd=$(proc_cpu_us "$1")
  cpu_mariadb=$(proc_cpu_us "$(pidof mariadbd)")
  children_cpu_us cpu_children
}

# cpu_report N WHAT: CPU µs per operation since cpu_mark, over N operations.
cpu_report() {
  local r m c now
  r=$(( $(proc_cpu_us "$cpu_pid") - cpu_radiusd ))
  m=$(( $(proc_cpu_us "$(pidof mariadbd)") - cpu_mariadb ))
  children_cpu_us now
  c=$(( now - cpu_children ))
  echo "CPU per $2: radiusd $((r / $1)) µs, MariaDB $((m / $1)) µs, load generator $((c / $1)) µs"
}
