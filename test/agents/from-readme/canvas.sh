#!/bin/sh
# Canvas as a command agent in POSIX sh, written from the README alone: the payload arrives as JSON on stdin
# (format: json), the reply goes out as JSON on stdout; exit 65 rejects the handoff.
payload=$(cat)
if [ "$STREAM_COLLAB_FORMAT" != json ]; then
  echo "canvas.sh speaks JSON only" >&2
  exit 65
fi
case "$payload" in
  *'"diagram_type":"data_flow"'*) ;;
  *) echo "canvas.sh draws data_flow diagrams only" >&2; exit 65 ;;
esac
printf '{"format":"mermaid","diagram":"flowchart LR\\n  sources --> sinks\\n","nodes":2,"edges":1,"drawn_by":"canvas.sh step %s"}\n' "$STREAM_COLLAB_STEP"
