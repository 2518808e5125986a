#!/usr/bin/env bash
# Time from launching Ferry to its first painted frame, under Xvfb with
# Mesa's software OpenGL (as README's table says). Needs xvfb, xdotool and
# imagemagick (apt-get install xvfb xdotool imagemagick).
#
#   packaging/startup-time.sh [BINARY] [RUNS]     (default target/release/ferry, 7)
#
# Each run starts with an empty home folder (no settings, no sites, no
# keyring) and measures the time until the window is mapped, polling
# `xdotool search --onlyvisible` every 5 ms. eframe keeps its window hidden
# until the first frame has been drawn, so that is the first frame; a
# screenshot of the window then checks that it is painted (more than one
# colour). Prints each run and the median.
set -euo pipefail

bin=${1:-target/release/ferry}
runs=${2:-7}
display=:${STARTUP_DISPLAY:-97}

Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
home=$(mktemp -d)
app=
cleanup() {
    [ -n "$app" ] && kill "$app" 2>/dev/null || true
    kill "$xvfb" 2>/dev/null || true
    wait "$xvfb" 2>/dev/null || true
    rm -rf "$home"
}
trap cleanup EXIT
for _ in $(seq 100); do
    xdpyinfo -display "$display" >/dev/null 2>&1 && break
    sleep 0.05
done

now_ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

shown_all=()
for run in $(seq "$runs"); do
    rm -rf "${home:?}"/* "$home"/.[!.]* 2>/dev/null || true
    start=$(now_ms)
    env DISPLAY="$display" LIBGL_ALWAYS_SOFTWARE=1 HOME="$home" \
        XDG_CONFIG_HOME="$home/.config" XDG_DATA_HOME="$home/.local/share" \
        FERRY_KEYRING=none "$bin" >/dev/null 2>&1 &
    app=$!
    wid=
    until [ -n "$wid" ]; do
        wid=$(DISPLAY="$display" xdotool search --onlyvisible --name '^Ferry$' 2>/dev/null | head -n 1 || true)
        [ -n "$wid" ] || sleep 0.005
        if ! kill -0 "$app" 2>/dev/null; then
            echo "ferry exited before showing a window" >&2
            exit 1
        fi
    done
    shown=$(($(now_ms) - start))
    for _ in $(seq 20); do
        colours=$(DISPLAY="$display" import -silent -window "$wid" -format '%k' info: 2>/dev/null || echo 0)
        [ "$colours" -gt 1 ] && break
        sleep 0.1
    done
    kill "$app"
    wait "$app" 2>/dev/null || true
    app=
    if [ "$colours" -le 1 ]; then
        echo "run $run: the window was shown blank" >&2
        exit 1
    fi
    echo "run $run: first frame after $shown ms ($colours colours)"
    shown_all+=("$shown")
done
echo "median: first frame after $(printf '%s\n' "${shown_all[@]}" | median) ms ($runs runs, $bin)"
