# Sourced by the scripts that run the application under Xvfb until it is ready
# (scripts/screenshot.sh, bench/scale.sh).
#
# wait_ready WHO READY PID LOG SECONDS: waits until the application PID (GNU time's, whose child
# it is) has written its ready file READY; fails, with its log LOG, when it ends before or is not
# ready after SECONDS. WHO names the script in the messages.
wait_ready() {
	local who=$1 ready=$2 app=$3 log=$4 secs=$5 i
	for ((i = 0; i < secs * 10; i++)); do
		[ -f "$ready" ] && return 0
		kill -0 "$app" 2>/dev/null || { echo "$who: the application ended before it was ready" >&2; cat "$log" >&2; return 1; }
		sleep 0.1
	done
	echo "$who: the application was not ready after $secs s" >&2
	kill "$app"
	return 1
}
