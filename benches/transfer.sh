#!/usr/bin/env bash
# Transfer benchmark: Ferry against curl and lftp, on a vsftpd that this
# script starts on 127.0.0.1 (loopback only), in one run on one machine.
#
#   benches/transfer.sh                                  # full run (1 GiB, best of 3)
#   BENCH_BIG_MB=256 BENCH_REPEAT=1 benches/transfer.sh  # quick run
#   BENCH_TMPDIR=/dev/shm benches/transfer.sh            # local files in RAM
#   BENCH_RTT_MS=20 BENCH_CASES=tree BENCH_TREE_DIRS=3 benches/transfer.sh
#                                       # 300 small files over a 20 ms link
#
# Environment: BENCH_BIG_MB (MiB, default 1024), BENCH_REPEAT (default 3),
# BENCH_TMPDIR (where the client-side files go, default /tmp),
# BENCH_FERRY (a ferry binary to measure instead of building this tree),
# BENCH_CASES ("big tree" by default: the one-big-file cases, the tree
# cases), BENCH_TREE_DIRS (20) and BENCH_TREE_FILES_PER_DIR (100),
# BENCH_TREE_KINDS ("get put mirror mirror-up copy": which tree cases run),
# BENCH_LIST_ENTRIES (100000: the folder the "list" case lists),
# BENCH_RTT_MS (0: none): every client then talks to vsftpd through
# benches/latency_proxy.py, which holds every chunk half that long each
# way, data connections included (passive replies are rewritten), as a
# link of that round-trip time would.
#
# Needs root (apt-get, useradd, vsftpd) on Debian/Ubuntu. Installs vsftpd,
# lftp, curl and GNU time when missing, builds `cargo build --release`,
# creates the local user ferrybench (password ferrybench-pw) if missing, and
# runs its own vsftpd with its own configuration. Everything it starts and
# every file it makes (the big files too) is removed on exit.
#
# Cases, each repeated BENCH_REPEAT times, best (fastest) run reported:
#   - download and upload of one BENCH_BIG_MB MiB file of random bytes;
#   - server-to-server copy of the big file (both ends on the same vsftpd,
#     two logins): Ferry's relay (`ferry copy`) and FXP (`--fxp`) against
#     curl downloading it and uploading it again (what a user without a
#     server-to-server tool does);
#   - recursive download and upload of 2000 files of 4 KiB in 20 folders,
#     one connection and four (ferry get/put -r -j N, lftp mirror [-R]
#     --parallel=N, rclone copy --transfers N --checkers N), Ferry also
#     with --no-times (downloads); the same tree mirrored into an empty
#     folder both ways (ferry mirror [--reverse], lftp mirror [-R], rclone
#     sync) and copied from one login to another on the same vsftpd
#     (ferry copy -r, lftp mirror URL URL, rclone copy remote: remote:);
#   - "window" (not in the default set): the tree downloaded by the
#     window (benches/window_drag.rs: the folder dragged from the server's
#     pane onto this computer's, timed from the drop until every file is
#     on disk and shown done) against ferry get -r with the same
#     connections (2, the window's default, and 4); BENCH_WINDOW (a
#     window_drag binary to use instead of building one);
#   - "watch" (not in the default set): `ferry watch` on a local tree of
#     BENCH_WATCH_FILES (20 000) small files: its first mirror, then
#     BENCH_WATCH_SAVES (20) saves of a 1 KiB file, each timed from the
#     write until the server's copy holds the new bytes (polled every
#     2 ms on vsftpd's disk); the median and the peak RSS of the watch
#     (no peer keeps a folder up to date from a Linux command line);
#   - "limit" (not in the default set): ferry get --limit-rate of the big
#     file at 1 MiB/s (10 MiB) and 50 MiB/s (500 MiB, BENCH_BIG_MB must be
#     at least 500): about 10 s each, the rate reached against the limit;
#   - "verify" (not in the default set): the big file downloaded by ferry
#     get with and without --verify, from benches/hash_ftpd.py (pyftpdlib
#     with XSHA256; vsftpd gives no checksums) serving the same folder,
#     once from a server that hashes the file at each XSHA256 and once
#     from one that has kept the digest (the client's own cost), and the
#     last with and without --verify at --limit-rate BENCH_VERIFY_LINK
#     (600M: a link that fast, slower than loopback on two cores), best
#     of BENCH_REPEAT each; the server's own XSHA256 time alone too;
#   - "sftp" (not in the default set): the big file downloaded and
#     uploaded over SFTP (an sshd the bench starts on 127.0.0.1 with a key
#     of its own, the same work folder) by ferry, OpenSSH's sftp, lftp
#     (sftp:// through ssh) and rclone (its sftp backend), best of
#     BENCH_REPEAT each, every copy compared once;
#   - "list" (not in the default set): one folder of BENCH_LIST_ENTRIES
#     empty files, listed long (ferry ls -l, curl's LIST of a folder URL,
#     lftp ls), output to /dev/null after its lines are counted.
# Tree cases report the median run (round trips make them noisy), the
# big-file cases the best.
# Nothing is dropped from the page cache: the data is in RAM throughout,
# so reads never wait for the disk. Writes can: Ferry (at the time of
# writing) fdatasyncs every downloaded file before renaming it into place,
# curl and lftp do not, so with a slow disk Ferry's download times include
# the flush. BENCH_TMPDIR=/dev/shm (tmpfs, where a flush is free) takes the
# disk out of the client side.
# Every transfer is checked (size each run, cmp / diff -r once per tool,
# file count each run) so a broken tool cannot look fast.
# Before each timed run `sync` writes out what earlier runs left dirty, so
# no tool pays for another's writeback; a tool's own flushing (Ferry's
# fdatasync) is timed as part of it, as its user would wait for it.
# Wall time is taken with `date +%s.%N` around each command; peak RSS with
# GNU time's %M (KiB), the largest over a case's runs.
set -euo pipefail

BIG_MB=${BENCH_BIG_MB:-1024}
REPEAT=${BENCH_REPEAT:-3}
FTP_USER=ferrybench
FTP_PASS=ferrybench-pw
PASV_MIN=${BENCH_PASV_MIN:-50000}
PASV_MAX=${BENCH_PASV_MAX:-50100}
CASES=${BENCH_CASES:-big tree}
RTT_MS=${BENCH_RTT_MS:-0}
TREE_DIRS=${BENCH_TREE_DIRS:-20}
TREE_FILES_PER_DIR=${BENCH_TREE_FILES_PER_DIR:-100}
LIST_ENTRIES=${BENCH_LIST_ENTRIES:-100000}
WATCH_FILES=${BENCH_WATCH_FILES:-20000}
WATCH_SAVES=${BENCH_WATCH_SAVES:-20}
TREE_KINDS=${BENCH_TREE_KINDS:-get put mirror mirror-up copy}
TREE_FILE_SIZE=4096
TREE_FILES=$((TREE_DIRS * TREE_FILES_PER_DIR))

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FERRY=$ROOT/target/release/ferry

log() { printf '[bench %4ds] %s\n' "$SECONDS" "$*" >&2; }
die() { printf '[bench] ERROR: %s\n' "$*" >&2; exit 1; }

[[ $BIG_MB =~ ^[1-9][0-9]*$ ]] || die "BENCH_BIG_MB must be a positive integer (MiB), got '$BIG_MB'"
[[ $REPEAT =~ ^[1-9][0-9]*$ ]] || die "BENCH_REPEAT must be a positive integer, got '$REPEAT'"
[[ $RTT_MS =~ ^[0-9]+$ ]] || die "BENCH_RTT_MS must be a whole number of milliseconds, got '$RTT_MS'"
has_case() { [[ " $CASES " == *" $1 "* ]]; }
has_kind() { has_case tree && [[ " $TREE_KINDS " == *" $1 "* ]]; }
[[ $(id -u) -eq 0 ]] || die "run as root (it installs packages, adds a user and starts vsftpd)"

# ---------------------------------------------------------------- tools
need_install=()
[[ -x /usr/sbin/vsftpd ]] || need_install+=(vsftpd)
command -v lftp >/dev/null || need_install+=(lftp)
command -v curl >/dev/null || need_install+=(curl)
[[ -x /usr/bin/time ]] || need_install+=(time)
command -v rclone >/dev/null || need_install+=(rclone)
if has_case sftp; then
    [[ -x /usr/sbin/sshd ]] || need_install+=(openssh-server)
    command -v sftp >/dev/null || need_install+=(openssh-client)
fi
((RTT_MS == 0)) || command -v python3 >/dev/null || need_install+=(python3)
if ((${#need_install[@]})); then
    log "installing ${need_install[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_install[@]}" >&2
fi

# ---------------------------------------------------------------- user and folders
if ! id "$FTP_USER" >/dev/null 2>&1; then
    log "creating user $FTP_USER"
    useradd -m -s /bin/bash "$FTP_USER"
fi
echo "$FTP_USER:$FTP_PASS" | chpasswd
FTP_HOME=$(getent passwd "$FTP_USER" | cut -d: -f6)
[[ -d $FTP_HOME ]] || die "home folder of $FTP_USER ($FTP_HOME) is missing"

TMP=""
VSFTPD_PID=""
PROXY_PID=""
REMOTE_REL=bench-$$ # work folder, relative to the login (home) folder
WORK=$FTP_HOME/$REMOTE_REL

cleanup() {
    local status=$?
    set +e
    [[ -n $PROXY_PID ]] && kill "$PROXY_PID" 2>/dev/null && wait "$PROXY_PID" 2>/dev/null
    [[ -n ${SFTP_PID:-} ]] && kill "$SFTP_PID" 2>/dev/null && wait "$SFTP_PID" 2>/dev/null
    if [[ -n $VSFTPD_PID ]]; then
        kill -TERM -- "-$VSFTPD_PID" 2>/dev/null
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 -- "-$VSFTPD_PID" 2>/dev/null || break
            sleep 0.2
        done
        kill -KILL -- "-$VSFTPD_PID" 2>/dev/null
        wait "$VSFTPD_PID" 2>/dev/null
    fi
    [[ -n $TMP && -d $TMP ]] && rm -rf -- "$TMP"
    [[ -d $WORK ]] && rm -rf -- "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

TMP=$(mktemp -d "${BENCH_TMPDIR:-/tmp}/ferry-bench.XXXXXX")
mkdir -p "$TMP/empty" "$TMP/out"

if [[ -n ${BENCH_FERRY:-} ]]; then
    # Another build, e.g. the last release's, to compare with.
    FERRY=$BENCH_FERRY
    [[ -x $FERRY ]] || die "BENCH_FERRY=$FERRY is not an executable"
else
    log "building ferry (cargo build --release)"
    (cd "$ROOT" && cargo build --release --quiet)
    [[ -x $FERRY ]] || die "$FERRY was not built"
fi
if has_case window; then
    if [[ -n ${BENCH_WINDOW:-} ]]; then
        WINDOW=$BENCH_WINDOW
    else
        log "building the window benchmark (cargo bench --no-run)"
        WINDOW=$(cd "$ROOT" && cargo bench --bench window_drag --no-run --message-format=json 2>/dev/null |
            sed -n 's/.*"executable":"\([^"]*window_drag[^"]*\)".*/\1/p' | tail -n 1)
    fi
    [[ -x ${WINDOW:-} ]] || die "no window_drag benchmark binary (BENCH_WINDOW=${BENCH_WINDOW:-})"
fi
# A private copy, so a rebuild in the work tree during the run cannot
# swap the binary under the measurements.
cp "$FERRY" "$TMP/ferry"
if "$TMP/ferry" --version >/dev/null 2>&1; then
    FERRY=$TMP/ferry
else
    log "warning: cannot run a copy in $TMP (noexec?); using $FERRY itself"
fi
install -d -o "$FTP_USER" -g "$(id -gn "$FTP_USER")" -m 755 "$WORK"

# Space: the big file, a downloaded copy, an uploaded copy and a server-side copy.
need_kb=$(((BIG_MB * 4 + 100) * 1024))
for d in "$TMP" "$WORK"; do
    avail=$(df -Pk "$d" | awk 'NR==2 {print $4}')
    ((avail > need_kb)) || die "not enough space in $d: need $((need_kb / 1024)) MiB, have $((avail / 1024)) MiB"
done

# ---------------------------------------------------------------- vsftpd
port_free() { ! ss -Hltn "sport = :$1" | grep -q .; }

wait_for_220() { # port -> 0 once the greeting arrives, 1 if vsftpd died or 10 s passed
    local port=$1 line i
    for ((i = 0; i < 50; i++)); do
        kill -0 "$VSFTPD_PID" 2>/dev/null || return 1
        if { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null; then
            line=""
            read -r -t 3 line <&3 || true
            exec 3>&- 3<&-
            [[ $line == 220* ]] && return 0
        fi
        sleep 0.2
    done
    return 1
}

PORT=""
for candidate in $(seq 2121 2199); do
    port_free "$candidate" || continue
    cat >"$TMP/vsftpd.conf" <<EOF
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=$candidate
background=NO
local_enable=YES
write_enable=YES
anonymous_enable=NO
pasv_enable=YES
pasv_min_port=$PASV_MIN
pasv_max_port=$PASV_MAX
seccomp_sandbox=NO
isolate=NO
isolate_network=NO
pam_service_name=vsftpd
xferlog_enable=NO
chroot_local_user=NO
local_umask=022
secure_chroot_dir=$TMP/empty
max_clients=50
max_per_ip=50
delay_failed_login=0
dirmessage_enable=NO
ftpd_banner=Ferry transfer benchmark
EOF
    # Not a job-control shell, so the background child is no group leader
    # and setsid makes it the leader of a new group without forking:
    # $! is the group to kill.
    setsid /usr/sbin/vsftpd "$TMP/vsftpd.conf" </dev/null >"$TMP/vsftpd.log" 2>&1 &
    VSFTPD_PID=$!
    if wait_for_220 "$candidate"; then
        PORT=$candidate
        break
    fi
    log "vsftpd on port $candidate did not answer: $(tr '\n' ' ' <"$TMP/vsftpd.log")"
    kill -KILL -- "-$VSFTPD_PID" 2>/dev/null || true
    wait "$VSFTPD_PID" 2>/dev/null || true
    VSFTPD_PID=""
done
[[ -n $PORT ]] || die "could not start vsftpd on any port in 2121-2199"
log "vsftpd (pid $VSFTPD_PID) on 127.0.0.1:$PORT, passive ports $PASV_MIN-$PASV_MAX"

# Where the clients connect: vsftpd itself, or the latency proxy before it.
CLIENT_PORT=$PORT
if ((RTT_MS > 0)); then
    for candidate in $(seq 2221 2299); do
        port_free "$candidate" || continue
        python3 "$ROOT/benches/latency_proxy.py" "$candidate" "$PORT" "$RTT_MS" >"$TMP/proxy.log" 2>&1 &
        PROXY_PID=$!
        for _ in $(seq 50); do
            ! port_free "$candidate" && break
            sleep 0.1
        done
        if ! port_free "$candidate"; then
            CLIENT_PORT=$candidate
            break
        fi
        kill "$PROXY_PID" 2>/dev/null
        PROXY_PID=""
    done
    [[ $CLIENT_PORT != "$PORT" ]] || die "could not start the latency proxy: $(cat "$TMP/proxy.log")"
    log "latency proxy (pid $PROXY_PID) on 127.0.0.1:$CLIENT_PORT: $RTT_MS ms round trip"
fi

BASE_URL=ftp://$FTP_USER:$FTP_PASS@127.0.0.1:$CLIENT_PORT/$REMOTE_REL
RCLONE_REMOTE=":ftp,host=127.0.0.1,port=$CLIENT_PORT,user=$FTP_USER,pass=$(rclone obscure "$FTP_PASS"):$REMOTE_REL"

# ---------------------------------------------------------------- test data
BIG_BYTES=$((BIG_MB * 1024 * 1024))
log "making $BIG_MB MiB of random bytes and a tree of $TREE_FILES files of $TREE_FILE_SIZE bytes"
if has_case big; then head -c "${BIG_MB}M" /dev/urandom >"$WORK/big.bin"; fi
for ((d = 0; d < TREE_DIRS; d++)); do
    dir=$(printf '%s/tree/d%02d' "$WORK" "$d")
    mkdir -p "$dir"
    head -c $((TREE_FILES_PER_DIR * TREE_FILE_SIZE)) /dev/urandom |
        split -b "$TREE_FILE_SIZE" -a 3 -d --additional-suffix=.dat - "$dir/f"
done
if has_case list; then
    mkdir -p "$WORK/many"
    (cd "$WORK/many" && seq -f 'entry-%06g.dat' "$LIST_ENTRIES" | xargs touch)
fi
chown -R "$FTP_USER:" "$WORK"
[[ $(find "$WORK/tree" -type f | wc -l) -eq $TREE_FILES ]] || die "test tree was not made"
# The same tree on the client side, for the uploads.
cp -r "$WORK/tree" "$TMP/tree-src"
sync # write the new data out now, not during the first measured runs

# ---------------------------------------------------------------- measuring
LFTP_SET="set cmd:fail-exit yes; set ftp:ssl-allow no; set ftp:passive-mode on; set net:max-retries 1; set net:timeout 30"
LFTP=(lftp --norc -u "$FTP_USER,$FTP_PASS" -p "$CLIENT_PORT") # then: -e "$LFTP_SET; COMMANDS; quit" 127.0.0.1

LAST_TIME=""
LAST_RSS=""
# run_timed LOGNAME CMD... : wall time of CMD in LAST_TIME (s), peak RSS in LAST_RSS (KiB)
run_timed() {
    local name=$1 t0 t1
    shift
    # Flush what earlier runs left dirty (e.g. curl's 1 GiB output), so it
    # is not written back during this run; the page cache stays as it is.
    sync
    t0=$(date +%s.%N)
    if ! /usr/bin/time -f %M -o "$TMP/rss" "$@" >"$TMP/out/$name.log" 2>&1; then
        tail -n 30 "$TMP/out/$name.log" >&2
        die "$name failed: $*"
    fi
    t1=$(date +%s.%N)
    LAST_TIME=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    LAST_RSS=$(tail -n 1 "$TMP/rss")
}

declare -A BEST RSS ALL
median() { # case tool -> the median of its runs
    tr ' ' '\n' <<<"${ALL[$1|$2]:-}" | sed '/^$/d' | sort -g | awk '{ v[NR] = $1 } END { if (NR) printf "%.3f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
record() { # case tool
    local key="$1|$2"
    ALL[$key]="${ALL[$key]:-}${ALL[$key]:+ }$LAST_TIME"
    if [[ -z ${BEST[$key]:-} ]] || awk -v a="$LAST_TIME" -v b="${BEST[$key]}" 'BEGIN { exit !(a < b) }'; then
        BEST[$key]=$LAST_TIME
    fi
    local prev=${RSS[$key]:-0}
    if ((LAST_RSS > prev)); then
        RSS[$key]=$LAST_RSS
    fi
}

check_size() { # file bytes what
    local got
    got=$(stat -c %s "$1" 2>/dev/null || echo missing)
    [[ $got == "$2" ]] || die "$3: $1 has $got bytes, expected $2"
}

check_tree() { # dir what full
    local n
    n=$(find "$1" -type f 2>/dev/null | wc -l)
    [[ $n -eq $TREE_FILES ]] || die "$2: $1 has $n files, expected $TREE_FILES"
    if [[ $3 == full ]]; then
        diff -r -q "$WORK/tree" "$1" >"$TMP/diff.txt" || die "$2: $1 differs from the source tree: $(head -n 5 "$TMP/diff.txt")"
    fi
}

DL=$TMP/down.bin
UP=$WORK/up.bin
TREE_OUT=$TMP/tree-out

bench_download() { # tool rep
    local tool=$1 rep=$2
    rm -f -- "$DL" "$DL.part"
    case $tool in
    ferry) run_timed "dl-ferry-$rep" "$FERRY" get "$BASE_URL/big.bin" "$DL" --overwrite ;;
    curl) run_timed "dl-curl-$rep" curl -sS --fail -o "$DL" "$BASE_URL/big.bin" ;;
    lftp) run_timed "dl-lftp-$rep" "${LFTP[@]}" -e "$LFTP_SET; get $REMOTE_REL/big.bin -o $DL; quit" 127.0.0.1 ;;
    esac
    check_size "$DL" "$BIG_BYTES" "download with $tool"
    if ((rep == 1)); then cmp -s "$WORK/big.bin" "$DL" || die "download with $tool: content differs"; fi
    record download "$tool"
}

bench_upload() { # tool rep
    local tool=$1 rep=$2
    rm -f -- "$UP"
    case $tool in
    ferry) run_timed "up-ferry-$rep" "$FERRY" put --overwrite "$WORK/big.bin" "$BASE_URL/up.bin" ;;
    curl) run_timed "up-curl-$rep" curl -sS --fail -T "$WORK/big.bin" "$BASE_URL/up.bin" ;;
    lftp) run_timed "up-lftp-$rep" "${LFTP[@]}" -e "$LFTP_SET; put $WORK/big.bin -o $REMOTE_REL/up.bin; quit" 127.0.0.1 ;;
    esac
    check_size "$UP" "$BIG_BYTES" "upload with $tool"
    if ((rep == 1)); then cmp -s "$WORK/big.bin" "$UP" || die "upload with $tool: content differs"; fi
    record upload "$tool"
}

COPY=$WORK/copy.bin
bench_copy() { # case tool rep
    local case=$1 tool=$2 rep=$3
    rm -f -- "$COPY" "$DL"
    case $tool in
    ferry) run_timed "$case-ferry-$rep" "$FERRY" copy --overwrite "$BASE_URL/big.bin" "$BASE_URL/copy.bin" ;;
    ferry-fxp) run_timed "$case-ferry-$rep" "$FERRY" copy -v --fxp --overwrite "$BASE_URL/big.bin" "$BASE_URL/copy.bin" ;;
    curl) run_timed "$case-curl-$rep" sh -c 'curl -sS --fail -o "$1" "$2/big.bin" && curl -sS --fail -T "$1" "$2/copy.bin"' sh "$DL" "$BASE_URL" ;;
    esac
    check_size "$COPY" "$BIG_BYTES" "copy with $tool"
    if ((rep == 1)); then cmp -s "$WORK/big.bin" "$COPY" || die "copy with $tool: content differs"; fi
    if [[ $tool == ferry-fxp ]] && ! grep -q "went straight from server to server" "$TMP/out/$case-ferry-$rep.log"; then
        log "note: ferry --fxp relayed instead of FXP (see $case-ferry-$rep.log)"
    fi
    record "$case" "${tool%-fxp}"
}

bench_tree() { # case tool jobs rep [ferry options...]
    local case=$1 tool=$2 jobs=$3 rep=$4
    shift 4
    rm -rf -- "$TREE_OUT"
    case $tool in
    ferry) run_timed "$case-ferry-$rep" "$FERRY" get -r -j "$jobs" --overwrite "$@" "$BASE_URL/tree" "$TREE_OUT" ;;
    lftp) run_timed "$case-lftp-$rep" "${LFTP[@]}" -e "$LFTP_SET; mirror --parallel=$jobs $REMOTE_REL/tree $TREE_OUT; quit" 127.0.0.1 ;;
    rclone) run_timed "$case-rclone-$rep" rclone copy --transfers "$jobs" --checkers "$jobs" "$RCLONE_REMOTE/tree" "$TREE_OUT" ;;
    esac
    # Ferry puts the folder itself inside the target: tree-out/tree.
    local got=$TREE_OUT
    [[ $tool == ferry ]] && got=$TREE_OUT/tree
    check_tree "$got" "$case with $tool" "$([[ $rep == 1 ]] && echo full || echo count)"
    record "$case" "$tool"
}

TREE_UP=$WORK/up-tree
bench_tree_up() { # case tool jobs rep
    local case=$1 tool=$2 jobs=$3 rep=$4
    rm -rf -- "$TREE_UP"
    install -d -o "$FTP_USER" -g "$(id -gn "$FTP_USER")" -m 755 "$TREE_UP"
    case $tool in
    ferry) run_timed "$case-ferry-$rep" "$FERRY" put -r -j "$jobs" --overwrite "$TMP/tree-src" "$BASE_URL/up-tree" ;;
    lftp) run_timed "$case-lftp-$rep" "${LFTP[@]}" -e "$LFTP_SET; mirror -R --parallel=$jobs $TMP/tree-src $REMOTE_REL/up-tree; quit" 127.0.0.1 ;;
    rclone) run_timed "$case-rclone-$rep" rclone copy --transfers "$jobs" --checkers "$jobs" "$TMP/tree-src" "$RCLONE_REMOTE/up-tree" ;;
    esac
    # Ferry puts the folder itself inside the target: up-tree/tree-src.
    local got=$TREE_UP
    [[ -d $TREE_UP/tree-src ]] && got=$TREE_UP/tree-src
    check_tree "$got" "$case with $tool" "$([[ $rep == 1 ]] && echo full || echo count)"
    record "$case" "$tool"
}

bench_tree_mirror() { # case tool jobs rep: the tree mirrored into an empty folder
    local case=$1 tool=$2 jobs=$3 rep=$4
    rm -rf -- "$TREE_OUT"
    mkdir -p -- "$TREE_OUT"
    case $tool in
    ferry) run_timed "$case-ferry-$rep" "$FERRY" mirror -j "$jobs" "$BASE_URL/tree" "$TREE_OUT" ;;
    lftp) run_timed "$case-lftp-$rep" "${LFTP[@]}" -e "$LFTP_SET; mirror --parallel=$jobs $REMOTE_REL/tree $TREE_OUT; quit" 127.0.0.1 ;;
    rclone) run_timed "$case-rclone-$rep" rclone sync --transfers "$jobs" --checkers "$jobs" "$RCLONE_REMOTE/tree" "$TREE_OUT" ;;
    esac
    check_tree "$TREE_OUT" "$case with $tool" "$([[ $rep == 1 ]] && echo full || echo count)"
    record "$case" "$tool"
}

bench_tree_mirror_up() { # case tool jobs rep: the local tree mirrored into an empty server folder
    local case=$1 tool=$2 jobs=$3 rep=$4
    rm -rf -- "$TREE_UP"
    install -d -o "$FTP_USER" -g "$(id -gn "$FTP_USER")" -m 755 "$TREE_UP"
    case $tool in
    ferry) run_timed "$case-ferry-$rep" "$FERRY" mirror --reverse -j "$jobs" "$BASE_URL/up-tree" "$TMP/tree-src" ;;
    lftp) run_timed "$case-lftp-$rep" "${LFTP[@]}" -e "$LFTP_SET; mirror -R --parallel=$jobs $TMP/tree-src $REMOTE_REL/up-tree; quit" 127.0.0.1 ;;
    rclone) run_timed "$case-rclone-$rep" rclone sync --transfers "$jobs" --checkers "$jobs" "$TMP/tree-src" "$RCLONE_REMOTE/up-tree" ;;
    esac
    check_tree "$TREE_UP" "$case with $tool" "$([[ $rep == 1 ]] && echo full || echo count)"
    record "$case" "$tool"
}

TREE_COPY=$WORK/copy-tree
bench_tree_copy() { # case tool jobs rep: the tree copied between two logins on the server
    local case=$1 tool=$2 jobs=$3 rep=$4
    local url=ftp://$FTP_USER:$FTP_PASS@127.0.0.1:$CLIENT_PORT/$REMOTE_REL
    rm -rf -- "$TREE_COPY"
    case $tool in
    ferry) run_timed "$case-ferry-$rep" "$FERRY" copy -r -j "$jobs" "$BASE_URL/tree" "$BASE_URL/copy-tree" ;;
    lftp) run_timed "$case-lftp-$rep" lftp --norc -e "$LFTP_SET; mirror --parallel=$jobs $url/tree $url/copy-tree; quit" ;;
    rclone) run_timed "$case-rclone-$rep" rclone copy --transfers "$jobs" --checkers "$jobs" "$RCLONE_REMOTE/tree" "$RCLONE_REMOTE/copy-tree" ;;
    esac
    check_tree "$TREE_COPY" "$case with $tool" "$([[ $rep == 1 ]] && echo full || echo count)"
    record "$case" "$tool"
}

bench_window() { # jobs rep: the window's drag against ferry get -r -j jobs
    local jobs=$1 rep=$2
    rm -rf -- "$TREE_OUT"
    mkdir -p -- "$TREE_OUT"
    run_timed "window-j$jobs-window-$rep" env BENCH_WINDOW_URL="$BASE_URL" BENCH_WINDOW_DRAG=tree \
        BENCH_WINDOW_FILES="$TREE_FILES" BENCH_WINDOW_CONNECTIONS="$jobs" BENCH_WINDOW_LOCAL="$TREE_OUT" "$WINDOW"
    # From the drop to the last file shown done, as the window timed it.
    LAST_TIME=$(sed -n 's/^window seconds //p' "$TMP/out/window-j$jobs-window-$rep.log")
    [[ -n $LAST_TIME ]] || die "window-j$jobs: no time in its output: $(tail -n 20 "$TMP/out/window-j$jobs-window-$rep.log")"
    log "window, $jobs connections: $(grep '^frames' "$TMP/out/window-j$jobs-window-$rep.log")"
    check_tree "$TREE_OUT/tree" "window-j$jobs with the window" "$([[ $rep == 1 ]] && echo full || echo count)"
    record "window-j$jobs" window
    bench_tree "window-j$jobs" ferry "$jobs" "$rep"
}

bench_list() { # tool rep
    local tool=$1 rep=$2
    case $tool in
    ferry) run_timed "list-ferry-$rep" "$FERRY" ls -l "$BASE_URL/many" ;;
    curl) run_timed "list-curl-$rep" curl -sS --fail "$BASE_URL/many/" ;;
    lftp) run_timed "list-lftp-$rep" "${LFTP[@]}" -e "$LFTP_SET; ls $REMOTE_REL/many; quit" 127.0.0.1 ;;
    esac
    local n
    n=$(wc -l <"$TMP/out/list-$tool-$rep.log")
    [[ $n -eq $LIST_ENTRIES ]] || die "list $tool: $n lines, expected $LIST_ENTRIES"
    record list "$tool"
}

WATCH_LATENCIES=""
WATCH_MIRROR=""
WATCH_RSS=""
bench_watch() { # : once, not per round (its saves are the repetitions)
    local src=$TMP/watch-src dst=$WORK/watch pid i t0 t1 deadline
    rm -rf -- "$src" "$dst"
    mkdir -p "$src"
    for ((i = 0; i < WATCH_FILES / 100; i++)); do
        mkdir -p "$src/d$i"
        (cd "$src/d$i" && seq -f "f%03g.txt" 0 99 | xargs -n 100 sh -c 'for f; do echo "$f" >"$f"; done' sh)
    done
    install -d -o "$FTP_USER" -g "$(id -gn "$FTP_USER")" -m 755 "$dst"
    t0=$(date +%s.%N)
    "$FERRY" watch -j 4 "$src" "$BASE_URL/watch" >"$TMP/out/watch.log" 2>"$TMP/out/watch.err" &
    pid=$!
    deadline=$((SECONDS + 900))
    until grep -q 'in step; watching' "$TMP/out/watch.err"; do
        kill -0 "$pid" 2>/dev/null || die "ferry watch ended: $(tail -n 5 "$TMP/out/watch.err")"
        ((SECONDS < deadline)) || die "ferry watch: no first mirror in 900 s"
        sleep 0.05
    done
    t1=$(date +%s.%N)
    WATCH_MIRROR=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
    [[ $(find "$dst" -type f | wc -l) -eq $WATCH_FILES ]] || die "ferry watch: the first mirror is not whole"
    for ((i = 1; i <= WATCH_SAVES; i++)); do
        head -c 1000 /dev/urandom >"$TMP/watch-save"
        printf '%024d' "$i" >>"$TMP/watch-save"
        sleep 0.3 # a person's saves are apart
        t0=$(date +%s.%N)
        cp "$TMP/watch-save" "$src/page.html"
        deadline=$((SECONDS + 30))
        until cmp -s "$TMP/watch-save" "$dst/page.html"; do
            ((SECONDS < deadline)) || die "ferry watch: save $i did not arrive in 30 s"
            sleep 0.002
        done
        t1=$(date +%s.%N)
        WATCH_LATENCIES="$WATCH_LATENCIES $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", (b - a) * 1000 }')"
    done
    WATCH_RSS=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
    kill -INT "$pid"
    wait "$pid" || die "ferry watch: status $? after Ctrl-C"
    rm -rf -- "$src" "$dst"
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
if awk -v l="${LOAD_BEFORE%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
    log "warning: the machine is busy (load average $LOAD_BEFORE on $(nproc) cores): expect noisy numbers"
fi
# Tools take turns within each repetition, so a slow phase of the machine
# hits all of them alike.
for ((rep = 1; rep <= REPEAT; rep++)); do
    if has_case big; then
        log "round $rep/$REPEAT: download $BIG_MB MiB"
        for tool in ferry curl lftp; do bench_download "$tool" "$rep"; done
        rm -f -- "$DL"
        log "round $rep/$REPEAT: upload $BIG_MB MiB"
        for tool in ferry curl lftp; do bench_upload "$tool" "$rep"; done
        rm -f -- "$UP"
        log "round $rep/$REPEAT: server to server $BIG_MB MiB"
        bench_copy copy ferry "$rep"
        bench_copy copy-fxp ferry-fxp "$rep"
        bench_copy copy curl "$rep"
        rm -f -- "$COPY" "$DL"
    fi
    if has_case tree; then
        for jobs in 1 4; do
            log "round $rep/$REPEAT: tree of $TREE_FILES files, $jobs connection(s): $TREE_KINDS"
            for tool in ferry lftp rclone; do
                if has_kind get; then bench_tree "tree-j$jobs" "$tool" "$jobs" "$rep"; fi
                if has_kind put; then bench_tree_up "tree-up-j$jobs" "$tool" "$jobs" "$rep"; fi
                if has_kind mirror; then bench_tree_mirror "mirror-j$jobs" "$tool" "$jobs" "$rep"; fi
                if has_kind mirror-up; then bench_tree_mirror_up "mirror-up-j$jobs" "$tool" "$jobs" "$rep"; fi
                if has_kind copy; then bench_tree_copy "copy-tree-j$jobs" "$tool" "$jobs" "$rep"; fi
            done
            if has_kind get; then bench_tree "tree-j$jobs-notimes" ferry "$jobs" "$rep" --no-times; fi
        done
        rm -rf -- "$TREE_OUT" "$TREE_UP" "$TREE_COPY"
    fi
    if has_case window; then
        for jobs in 2 4; do
            log "round $rep/$REPEAT: the window's drag of $TREE_FILES files, $jobs connections"
            bench_window "$jobs" "$rep"
        done
    fi
    if has_case list; then
        log "round $rep/$REPEAT: ls -l of $LIST_ENTRIES entries"
        for tool in ferry curl lftp; do bench_list "$tool" "$rep"; done
    fi
done

if has_case watch; then
    log "ferry watch: $WATCH_FILES files, then $WATCH_SAVES saves"
    bench_watch
fi
# ---------------------------------------------------------------- sftp
SFTP_PID=""
bench_sftp() {
    local dir=$TMP/ssh port="" candidate fp
    mkdir -p "$dir"
    chmod 755 "$TMP" "$dir"
    ssh-keygen -q -t ed25519 -N "" -f "$dir/host"
    ssh-keygen -q -t ed25519 -N "" -f "$dir/client"
    cp "$dir/client.pub" "$dir/authorized_keys"
    chmod 644 "$dir/authorized_keys"
    mkdir -p /run/sshd
    for candidate in $(seq 2222 2299); do
        port_free "$candidate" && port=$candidate && break
    done
    [[ -n $port ]] || die "no free port for sshd"
    cat >"$dir/sshd_config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $dir/host
PidFile $dir/sshd.pid
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile $dir/authorized_keys
StrictModes no
Subsystem sftp internal-sftp
LogLevel ERROR
CONF
    /usr/sbin/sshd -D -e -f "$dir/sshd_config" 2>"$TMP/sshd.log" &
    SFTP_PID=$!
    for _ in $(seq 50); do
        ! port_free "$port" && break
        sleep 0.1
    done
    fp=$(ssh-keygen -lf "$dir/host.pub" | awk '{print $2}')
    local url="sftp://$FTP_USER@127.0.0.1:$port/$REMOTE_REL"
    local ssh_opts=(-i "$dir/client" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes)
    local lftp_set="set sftp:connect-program 'ssh -a -x -i $dir/client -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'; set net:max-retries 1"
    local rclone_remote=":sftp,host=127.0.0.1,port=$port,user=$FTP_USER,key_file=$dir/client,disable_hashcheck=true:$REMOTE_REL"
    local rep tool
    for ((rep = 1; rep <= REPEAT; rep++)); do
        log "round $rep/$REPEAT: $BIG_MB MiB over SFTP, down and up"
        for tool in ferry sftp lftp rclone; do
            rm -f -- "$DL"
            case $tool in
            ferry) run_timed "sftp-dl-ferry-$rep" env -u SSH_AUTH_SOCK "$FERRY" --trust "$fp" --identity "$dir/client" get "$url/big.bin" "$DL" ;;
            sftp) run_timed "sftp-dl-sftp-$rep" sftp -q "${ssh_opts[@]}" -P "$port" "$FTP_USER@127.0.0.1:$REMOTE_REL/big.bin" "$DL" ;;
            lftp) run_timed "sftp-dl-lftp-$rep" lftp --norc -c "$lftp_set; open -u $FTP_USER, sftp://127.0.0.1:$port; get $REMOTE_REL/big.bin -o $DL" ;;
            rclone) run_timed "sftp-dl-rclone-$rep" rclone copyto "$rclone_remote/big.bin" "$DL" ;;
            esac
            check_size "$DL" "$BIG_BYTES" "SFTP download with $tool"
            if ((rep == 1)); then cmp -s "$WORK/big.bin" "$DL" || die "SFTP download with $tool: content differs"; fi
            record sftp-download "$tool"
        done
        for tool in ferry sftp lftp rclone; do
            rm -f -- "$UP"
            case $tool in
            ferry) run_timed "sftp-up-ferry-$rep" env -u SSH_AUTH_SOCK "$FERRY" --trust "$fp" --identity "$dir/client" put "$WORK/big.bin" "$url/up.bin" ;;
            sftp) run_timed "sftp-up-sftp-$rep" sftp -q "${ssh_opts[@]}" -P "$port" -b <(echo "put $WORK/big.bin $REMOTE_REL/up.bin") "$FTP_USER@127.0.0.1" ;;
            lftp) run_timed "sftp-up-lftp-$rep" lftp --norc -c "$lftp_set; open -u $FTP_USER, sftp://127.0.0.1:$port; put $WORK/big.bin -o $REMOTE_REL/up.bin" ;;
            rclone) run_timed "sftp-up-rclone-$rep" rclone copyto "$WORK/big.bin" "$rclone_remote/up.bin" ;;
            esac
            check_size "$UP" "$BIG_BYTES" "SFTP upload with $tool"
            if ((rep == 1)); then cmp -s "$WORK/big.bin" "$UP" || die "SFTP upload with $tool: content differs"; fi
            record sftp-upload "$tool"
        done
    done
    kill "$SFTP_PID" 2>/dev/null || true
    wait "$SFTP_PID" 2>/dev/null || true
    SFTP_PID=""
}
if has_case sftp; then
    [[ -f $WORK/big.bin ]] || head -c "${BIG_MB}M" /dev/urandom >"$WORK/big.bin"
    chown "$FTP_USER:" "$WORK/big.bin"
    bench_sftp
fi
VERIFY_LINE=""
# Starts benches/hash_ftpd.py (its options: "$@") on a free port; sets
# HASH_PORT and appends its pid to HASH_PIDS.
start_hash_server() {
    HASH_PORT=""
    for candidate in $(seq 2321 2399); do
        port_free "$candidate" && HASH_PORT=$candidate && break
    done
    [[ -n $HASH_PORT ]] || die "no free port for the checksum server"
    python3 "$ROOT/benches/hash_ftpd.py" "$@" "$HASH_PORT" "$WORK" "$FTP_USER" "$FTP_PASS" \
        >>"$TMP/hash_ftpd.log" 2>&1 &
    HASH_PIDS+=("$!")
    for _ in $(seq 50); do
        ! port_free "$HASH_PORT" && return 0
        sleep 0.1
    done
    die "the checksum server did not start (see $TMP/hash_ftpd.log)"
}
# The verify case's link speed: below what loopback moves on two cores,
# so that the transfer leaves a core to the hash, as a real link does.
VERIFY_LINK=${BENCH_VERIFY_LINK:-600M}
if has_case verify; then
    [[ -f $WORK/big.bin ]] || head -c "${BIG_MB}M" /dev/urandom >"$WORK/big.bin"
    chown "$FTP_USER:" "$WORK/big.bin"
    HASH_PIDS=()
    # One server hashes the file for each XSHA256, one keeps the digest
    # once computed: the first says what verifying costs end to end, the
    # second what it costs Ferry (the server's hash answered at once).
    start_hash_server
    HASH_URL=ftp://$FTP_USER:$FTP_PASS@127.0.0.1:$HASH_PORT/big.bin
    start_hash_server --cache
    CACHED_URL=ftp://$FTP_USER:$FTP_PASS@127.0.0.1:$HASH_PORT/big.bin
    "$FERRY" quote "${CACHED_URL%big.bin}" XSHA256 big.bin >/dev/null
    for ((rep = 1; rep <= REPEAT; rep++)); do
        log "round $rep/$REPEAT: $BIG_MB MiB with and without --verify"
        for mode in plain verify cached plain-link cached-link; do
            rm -f -- "$DL"
            url=$HASH_URL flag=()
            [[ $mode != plain* ]] && flag=(--verify)
            [[ $mode == cached* ]] && url=$CACHED_URL
            [[ $mode == *-link ]] && flag+=(--limit-rate "$VERIFY_LINK")
            run_timed "verify-$mode-$rep" "$FERRY" get "${flag[@]}" "$url" "$DL"
            check_size "$DL" "$BIG_BYTES" "verify $mode"
            record "verify-$mode" ferry
        done
        run_timed "verify-server-$rep" "$FERRY" quote "${HASH_URL%big.bin}" XSHA256 big.bin
        record verify-server ferry
    done
    rm -f -- "$DL"
    kill "${HASH_PIDS[@]}" 2>/dev/null || true
    wait "${HASH_PIDS[@]}" 2>/dev/null || true
    VERIFY_LINE=$(awk -v p="${BEST[verify-plain|ferry]}" -v v="${BEST[verify-verify|ferry]}" \
        -v c="${BEST[verify-cached|ferry]}" -v s="${BEST[verify-server|ferry]}" -v mb="$BIG_MB" \
        -v pl="${BEST[verify-plain-link|ferry]}" -v cl="${BEST[verify-cached-link|ferry]}" -v link="$VERIFY_LINK" \
        'BEGIN { printf "ferry get of %d MiB: %.2f s; with --verify %.2f s (%.2f of the throughput) from a server that hashes the file when asked (alone it takes %.2f s to answer XSHA256), %.2f s (%.2f of the throughput) from one that has the digest at hand; at --limit-rate %s (a link that fast) %.2f s, with --verify %.2f s (%.2f)", mb, p, v, p / v, s, c, p / c, link, pl, cl, pl / cl }')
fi
declare -A LIMIT_RATE
if has_case limit; then
    [[ -f $WORK/big.bin ]] || head -c "${BIG_MB}M" /dev/urandom >"$WORK/big.bin"
    for mib in 1 50; do
        bytes=$((mib * 10 * 1024 * 1024))
        ((bytes <= BIG_BYTES)) || die "BENCH_BIG_MB=$BIG_MB is too small for the $mib MiB/s case"
        log "ferry get --limit-rate ${mib}M: $((bytes / 1024 / 1024)) MiB"
        head -c "$bytes" "$WORK/big.bin" >"$WORK/limit.bin"
        chown "$FTP_USER:" "$WORK/limit.bin"
        rm -f -- "$TMP/limit.out"
        run_timed "limit-$mib" "$FERRY" get --limit-rate "${mib}M" "$BASE_URL/limit.bin" "$TMP/limit.out"
        check_size "$TMP/limit.out" "$bytes" "limit $mib"
        LIMIT_RATE[$mib]=$(awk -v b="$bytes" -v t="$LAST_TIME" -v m="$mib" \
            'BEGIN { r = b / t / 1048576; printf "%.2f MiB/s in %.2f s (%.1f %% of the limit)", r, t, 100 * r / m }')
        rm -f -- "$WORK/limit.bin" "$TMP/limit.out"
    done
fi

# Commands Ferry sends per file: one more run of each tree case with the
# protocol log (-vv), counted, not timed.
declare -A PER_FILE TRIPS
if has_case tree; then
    rm -rf -- "$TREE_OUT"
    "$FERRY" -vv get -r -j 1 --overwrite "$BASE_URL/tree" "$TREE_OUT" 2>"$TMP/out/commands-get.log" >/dev/null
    rm -rf -- "$TREE_UP"
    install -d -o "$FTP_USER" -g "$(id -gn "$FTP_USER")" -m 755 "$TREE_UP"
    "$FERRY" -vv put -r -j 1 --overwrite "$TMP/tree-src" "$BASE_URL/up-tree" 2>"$TMP/out/commands-put.log" >/dev/null
    # Round trips: each run of commands written before the next reply is
    # read (commands sent together) is one wait for the server.
    for what in get put; do
        n=$(grep -c '^> ' "$TMP/out/commands-$what.log" || true)
        waits=$(awk '/^> / { if (!sending) n++; sending = 1; next } /^< / { sending = 0 } END { print n + 0 }' "$TMP/out/commands-$what.log")
        PER_FILE[$what]=$(awk -v n="$n" -v f="$TREE_FILES" 'BEGIN { printf "%.2f", n / f }')
        TRIPS[$what]=$(awk -v n="$waits" -v f="$TREE_FILES" 'BEGIN { printf "%.2f", n / f }')
    done
fi

# ---------------------------------------------------------------- report
fmt_time() { [[ -n ${1:-} ]] && printf '%.2f s' "$1" || printf 'n/a'; }
fmt_rate() { # seconds (none: the tool did not run this case)
    [[ -n ${1:-} ]] || { printf 'n/a'; return; }
    awk -v b="$BIG_BYTES" -v t="$1" 'BEGIN { printf "%.2f s (%.0f MB/s)", t, b / t / 1e6 }'
}
fmt_ratio() { # other ferry
    [[ -n ${1:-} && -n ${2:-} ]] || { printf 'n/a'; return; }
    awk -v o="$1" -v f="$2" 'BEGIN { printf "%.2f", o / f }'
}

row() { # label case big|tree [ferry-case]
    local label=$1 case=$2 kind=$3 fcase=${4:-$2}
    local f=${BEST[$fcase|ferry]:-} c=${BEST[$case|curl]:-} l=${BEST[$case|lftp]:-}
    local fs cs ls
    if [[ $kind == big ]]; then
        fs=$(fmt_rate "$f")
        cs=$(fmt_rate "$c")
        ls=$(fmt_rate "$l")
    else
        fs=$(fmt_time "$f")
        cs=$(fmt_time "$c")
        ls=$(fmt_time "$l")
    fi
    printf '| %s | %s | %s | %s | %s | %s |\n' "$label" "$fs" "$cs" "$ls" "$(fmt_ratio "$c" "$f")" "$(fmt_ratio "$l" "$f")"
}

cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
ver() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null || echo '?'; }

tree_row() { # label case [ferry-case]: medians; the ratio is against the faster peer
    local label=$1 case=$2 fcase=${3:-$2}
    local f l r best
    f=$(median "$fcase" ferry)
    l=$(median "$case" lftp)
    r=$(median "$case" rclone)
    best=$(awk -v l="$l" -v r="$r" 'BEGIN { if (l == "") print r; else if (r == "" || l < r) print l; else print r }')
    printf '| %s | %s | %s | %s | %s |\n' "$label" "$(fmt_time "$f")" "$(fmt_time "$l")" "$(fmt_time "$r")" "$(fmt_ratio "$best" "$f")"
}

link="vsftpd on 127.0.0.1 (plain FTP, passive mode)"
((RTT_MS == 0)) || link="$link behind a latency proxy: $RTT_MS ms round trip (every chunk held $((RTT_MS / 2)) ms each way, data connections included)"
{
    echo
    echo "## Ferry transfer benchmark"
    echo
    echo "$link, $REPEAT runs per case;"
    echo "warm page cache (nothing dropped); client-side files in ${BENCH_TMPDIR:-/tmp}" \
        "($(df --output=source,fstype "$TMP" | awk 'NR==2 {print $1 ", " $2}')), server files in $FTP_HOME" \
        "($(df --output=source,fstype "$WORK" | awk 'NR==2 {print $1 ", " $2}'))."
    echo "Ratios are throughput ratios: other tool's time / Ferry's time (> 1.0: Ferry is faster)."
    if has_case big; then
        echo
        echo "One file of $BIG_MB MiB, best (fastest) run; MB/s = 10^6 bytes per second."
        echo
        echo "| case | Ferry | curl | lftp | Ferry vs curl | Ferry vs lftp |"
        echo "| --- | --- | --- | --- | --- | --- |"
        row "download $BIG_MB MiB" download big
        row "upload $BIG_MB MiB" upload big
        row "server to server $BIG_MB MiB (Ferry relay; curl: download, then upload)" copy big
        row "server to server $BIG_MB MiB, Ferry --fxp" copy big copy-fxp
        echo
        echo "Peak RSS (GNU time %M, largest over the runs): download $BIG_MB MiB: ferry ${RSS[download|ferry]} KiB," \
            "curl ${RSS[download|curl]} KiB, lftp ${RSS[download|lftp]} KiB;" \
            "copy $BIG_MB MiB: ferry ${RSS[copy|ferry]} KiB (relay), ${RSS[copy-fxp|ferry]} KiB (FXP)."
    fi
    if has_case tree; then
        echo
        echo "Tree: $TREE_FILES files of $TREE_FILE_SIZE bytes in $TREE_DIRS folders, median run;" \
            "ferry get/put -r -j N, lftp mirror [-R] --parallel=N, rclone copy --transfers N --checkers N."
        echo
        echo "| case | Ferry | lftp | rclone | Ferry vs the faster of lftp and rclone |"
        echo "| --- | --- | --- | --- | --- |"
        for jobs in 1 4; do
            conn="$jobs connection$([[ $jobs == 1 ]] || echo s)"
            if has_kind get; then
                tree_row "get -r, $conn" "tree-j$jobs"
                tree_row "get -r, $conn, Ferry --no-times" "tree-j$jobs" "tree-j$jobs-notimes"
            fi
            if has_kind put; then tree_row "put -r, $conn" "tree-up-j$jobs"; fi
            if has_kind mirror; then tree_row "mirror (download), $conn" "mirror-j$jobs"; fi
            if has_kind mirror-up; then tree_row "mirror --reverse (upload), $conn" "mirror-up-j$jobs"; fi
            if has_kind copy; then tree_row "copy -r (server to server), $conn" "copy-tree-j$jobs"; fi
        done
        if ((RTT_MS > 0)); then
            echo
            printf 'Waits for the server per file at 1 connection (median time / files / round trip):'
            for c in tree-j1 tree-up-j1 mirror-j1 mirror-up-j1 copy-tree-j1; do
                t=$(median "$c" ferry)
                if [[ -n $t ]]; then
                    printf ' %s %s;' "$c" "$(awk -v t="$t" -v n="$TREE_FILES" -v r="$RTT_MS" 'BEGIN { printf "%.2f", t * 1000 / n / r }')"
                fi
            done
            echo
        fi
        echo
        echo "Commands Ferry sends per file (protocol log of a -j 1 run, logins and listings included):" \
            "get ${PER_FILE[get]:-?}, put ${PER_FILE[put]:-?};" \
            "commands written before the reply they wait for, per file (runs of commands sent together): get ${TRIPS[get]:-?}, put ${TRIPS[put]:-?}." \
            "Peak RSS, tree get -j 4: ferry ${RSS[tree-j4|ferry]:-?} KiB, lftp ${RSS[tree-j4|lftp]:-?} KiB, rclone ${RSS[tree-j4|rclone]:-?} KiB."
    fi
    if has_case window; then
        echo
        echo "The window: the tree of $TREE_FILES files dragged from the server's pane onto this computer's" \
            "(benches/window_drag.rs, from the drop until every file is on disk and shown done, frames when the window asks for them, at most 60 a second)" \
            "against ferry get -r -j N (the whole command, login included), median run."
        echo
        echo "| connections | ferry get -r | the window | window / command line |"
        echo "| --- | --- | --- | --- |"
        for jobs in 2 4; do
            c=$(median "window-j$jobs" ferry)
            w=$(median "window-j$jobs" window)
            printf '| %s | %s | %s | %s |\n' "$jobs" "$(fmt_time "$c")" "$(fmt_time "$w")" "$(fmt_ratio "$w" "$c")"
        done
    fi
    if has_case watch; then
        echo
        sorted="" med=""
        sorted=$(tr ' ' '\n' <<<"$WATCH_LATENCIES" | sed '/^$/d' | sort -n)
        med=$(awk '{ v[NR] = $1 } END { if (NR) printf "%d", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }' <<<"$sorted")
        echo "ferry watch -j 4 on $WATCH_FILES files: first mirror ${WATCH_MIRROR} s;" \
            "a save of 1 KiB on the server after ${med} ms (median of $WATCH_SAVES;" \
            "all: $(tr '\n' ' ' <<<"$sorted")ms); peak RSS ${WATCH_RSS} KiB."
    fi
    if has_case sftp; then
        echo
        echo "SFTP, $BIG_MB MiB on loopback (an sshd of the bench's own, key login), best of $REPEAT:"
        echo
        echo "| case | Ferry | OpenSSH sftp | lftp | rclone | Ferry vs sftp | Ferry vs lftp | Ferry vs rclone |"
        echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
        what=""
        for what in download upload; do
            awk -v c="$what" -v f="${BEST[sftp-$what|ferry]}" -v s="${BEST[sftp-$what|sftp]}" \
                -v l="${BEST[sftp-$what|lftp]}" -v r="${BEST[sftp-$what|rclone]}" \
                'BEGIN { printf "| %s | %.2f s | %.2f s | %.2f s | %.2f s | %.2f | %.2f | %.2f |\n", c, f, s, l, r, s / f, l / f, r / f }'
        done
    fi
    if has_case verify; then
        echo
        echo "$VERIFY_LINE (best of $REPEAT each, benches/hash_ftpd.py on loopback)."
    fi
    if has_case limit; then
        echo
        echo "ferry get --limit-rate (login included): 1M: ${LIMIT_RATE[1]}; 50M: ${LIMIT_RATE[50]}."
    fi
    if has_case list; then
        echo
        echo "Listing one folder of $LIST_ENTRIES entries, best run (ferry ls -l, curl LIST, lftp ls)."
        echo
        echo "| case | Ferry | curl | lftp | Ferry vs curl | Ferry vs lftp |"
        echo "| --- | --- | --- | --- | --- | --- |"
        row "list $LIST_ENTRIES entries" list tree
        echo
        echo "Peak RSS listing $LIST_ENTRIES entries: ferry ${RSS[list|ferry]} KiB, curl ${RSS[list|curl]} KiB, lftp ${RSS[list|lftp]} KiB."
    fi
    echo
    if awk -v l="${LOAD_BEFORE%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
        echo "**Warning: the machine was busy before the runs (load average $LOAD_BEFORE, over half the cores;" \
            "an earlier run of this script counts too), so these numbers are noisy.**"
        echo
    fi
    echo "Machine: $(nproc) cores, $cpu, $mem RAM, Linux $(uname -r);" \
        "$("$FERRY" --version), curl $(ver curl), lftp $(ver lftp), rclone $(ver rclone), vsftpd $(ver vsftpd);" \
        "load average before the runs $LOAD_BEFORE, after $(cut -d' ' -f1-3 /proc/loadavg)."
    echo
    echo "All runs (seconds):"
    for key in $(printf '%s\n' "${!ALL[@]}" | sort); do
        echo "- ${key/|/ / }: ${ALL[$key]}"
    done
}
