"""The history as one self-contained HTML page: a timeline, one row per client, with the
longest linearizable prefix marked and the operation that could not follow it highlighted.

Everything is inline (CSS, script, data as JSON), so the file opens anywhere, offline.
Values are shown through ``textContent`` only, never parsed as HTML.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

from ._check import CheckResult
from ._history import History, Operation
from ._model import Model


def _text(call: Any, *args: Any) -> str:
    try:
        return str(call(*args))
    except Exception as error:  # noqa: BLE001 - a broken describe must not lose the page
        return f"<unprintable: {type(error).__name__}>"


def _page_data(
    operations: tuple[Operation, ...], result: CheckResult | None, model: Model[Any] | None
) -> dict[str, Any]:
    clients: dict[Any, int] = {}
    for op in operations:
        clients.setdefault(op.client, len(clients))
    ends = (p for op in operations for p in (op.invoke_at, op.complete_at) if p is not None)
    positions = max(ends, default=-1) + 1
    order: dict[int, tuple[int, int, str]] = {}
    part_of: dict[int, int] = {}
    blocked: set[int] = set()
    parts: list[dict[str, Any]] = []
    if result is not None:
        for k, part in enumerate(result.partitions):
            for op in part.operations:
                part_of[op.id] = k
            for n, (op, state) in enumerate(zip(part.linearization, part.states, strict=True)):
                order[op.id] = (k, n, _text(result.model.describe_state, state))
            if part.blocked is not None:
                blocked.add(part.blocked.id)
            parts.append(
                {
                    "label": _text(result.model.describe_part, part.operations),
                    "verdict": part.verdict,
                    "count": len(part.operations),
                    "prefix": len(part.linearization),
                }
            )

    def describe(op: Operation) -> str:
        if model is None:
            return f"{op.op!r}" if op.status != "ok" else f"{op.op!r} -> {op.result!r}"
        return model.describe_op(op.op, op.result)

    return {
        "verdict": None if result is None else result.verdict,
        "model": None if model is None else type(model).__name__,
        "report": None if result is None else _text(result.report),
        "clients": [_text(str, c) for c in clients],
        "positions": positions,
        "ops": [
            {
                "id": op.id,
                "client": clients[op.client],
                "desc": _text(describe, op),
                "status": op.status,
                "t0": op.invoke,
                "t1": None if op.complete_at is None else op.complete,
                "p0": op.invoke_at,
                "p1": op.complete_at,
                "part": part_of.get(op.id),
                "lin": order[op.id][1] if op.id in order else None,
                "state": order[op.id][2] if op.id in order else None,
                "blocked": op.id in blocked,
            }
            for op in operations
        ],
        "parts": parts,
        "failing": None
        if result is None or result.failure is None
        else result.partitions.index(result.failure),
    }


def render_html(history: History | None, result: CheckResult | None, title: str = "lincheck") -> str:
    """The page for ``result`` (or for a ``history`` not checked yet), as a string."""
    if result is not None:
        operations, model = result.operations, result.model
    elif history is not None:
        operations, model = history.operations, None
    else:
        raise ValueError("visualize needs a history, a check result, or both")
    data = json.dumps(_page_data(operations, result, model), default=str)
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    fill = {"__TITLE__": html.escape(title), "__DATA__": data}
    return _SLOTS.sub(lambda slot: fill[slot.group()], _TEMPLATE)  # one pass: a title may say __DATA__


def visualize(
    history: History | None, result: CheckResult | None, path: str | Path, *, title: str = "lincheck"
) -> Path:
    """Write one self-contained HTML page drawing the history as a timeline; returns its path.

    One row per client, each operation a bar from its invocation to its return (a timed-out
    one fades out to the right), labelled as the model describes it. With a ``result``, the
    operations of the longest linearizable prefix are green and numbered in linearization
    order, the one that could not follow them is red, and hovering a bar shows its details and
    the model's state after it. A menu picks the part (a key, for `KeyValue`) to show.

    Args:
        history: The history to draw; may be ``None`` when ``result`` is given (it holds the
            operations it checked).
        result: What `check` found, or ``None`` to draw an unchecked history.
        path: Where to write the page.
        title: The page's title.

    Raises:
        ValueError: Neither a history nor a result, or a history that is not the one checked.
    """
    if history is not None and result is not None and len(history) != len(result.operations):
        raise ValueError(
            f"the history has {len(history)} operations but the result checked {len(result.operations)}: "
            "pass the history that was checked (or just the result)"
        )
    target = Path(path)
    target.write_text(render_html(history, result, title), encoding="utf-8")
    return target


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>__TITLE__</title>
<style>
body { font: 13px/1.4 system-ui, sans-serif; margin: 16px; color: #222; }
h1 { font-size: 18px; margin: 0 0 6px; }
.verdict { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; font-weight: 600; }
.v-ok { background: #2e7d32; } .v-illegal { background: #c62828; } .v-unknown { background: #8d6e00; }
.v-none { background: #666; }
#controls { margin: 8px 0; }
#wrap { display: flex; border: 1px solid #ccc; }
#names { flex: none; width: 130px; border-right: 1px solid #ccc; background: #fafafa; }
#names div { position: relative; padding: 0 6px; overflow: hidden; text-overflow: ellipsis;
  white-space: nowrap; border-bottom: 1px solid #eee; box-sizing: border-box; font-weight: 600; }
#scroll { overflow-x: auto; overflow-y: hidden; flex: 1; }
#lanes { position: relative; }
.row { position: absolute; left: 0; right: 0; border-bottom: 1px solid #eee; }
.op { position: absolute; height: 22px; box-sizing: border-box; border: 1px solid #777; border-radius: 3px;
  background: #fff; font-size: 11px; line-height: 20px; padding: 0 3px; overflow: hidden; white-space: nowrap;
  text-overflow: ellipsis; cursor: default; }
.op.lin { background: #c8e6c9; border-color: #2e7d32; }
.op.blocked { background: #ffcdd2; border: 2px solid #c62828; font-weight: 600; }
.op.timeout, .op.pending { border-style: dashed;
  background-image: linear-gradient(to right, rgba(255,255,255,0), #fff); }
.op.fail { background: repeating-linear-gradient(45deg, #eee, #eee 4px, #fff 4px, #fff 8px); color: #777; }
.op.dim { opacity: 0.25; }
.op:hover { outline: 2px solid #1565c0; z-index: 5; }
.badge { display: inline-block; min-width: 14px; margin-right: 3px; padding: 0 3px; border-radius: 7px;
  background: #2e7d32; color: #fff; font-size: 10px; line-height: 14px; text-align: center; }
#tip { position: fixed; display: none; max-width: 420px; background: #fffde7; border: 1px solid #aaa;
  padding: 6px 8px; box-shadow: 0 2px 6px rgba(0,0,0,.2); white-space: pre-wrap; font-size: 12px;
  z-index: 10; }
#report { background: #f5f5f5; border: 1px solid #ddd; padding: 8px; white-space: pre-wrap;
  font: 12px monospace; }
.legend span { display: inline-block; margin-right: 12px; }
.legend i { display: inline-block; width: 18px; height: 10px; border: 1px solid #777; margin-right: 4px;
  vertical-align: middle; }
</style>
</head>
<body>
<h1>__TITLE__ <span id="verdict" class="verdict"></span></h1>
<div id="summary"></div>
<div id="controls"><label>Show: <select id="part"></select></label></div>
<div class="legend">
<span><i style="background:#c8e6c9;border-color:#2e7d32"></i>linearized (number = order)</span>
<span><i style="background:#ffcdd2;border-color:#c62828"></i>could not be linearized</span>
<span><i style="border-style:dashed"></i>timed out / never returned</span>
<span><i style="background:#eee"></i>failed (did not happen)</span>
</div>
<div id="wrap"><div id="names"></div><div id="scroll"><div id="lanes"></div></div></div>
<h2 style="font-size:14px">Report</h2>
<div id="report"></div>
<div id="tip"></div>
<script type="application/json" id="data">__DATA__</script>
<script>
"use strict";
(() => {
const data = JSON.parse(document.getElementById("data").textContent);
const ROW = 26, LANE_GAP = 2;
const unit = Math.max(16, Math.min(60, 1400 / Math.max(1, data.positions)));
const verdict = document.getElementById("verdict");
verdict.textContent = data.verdict === null ? "not checked" :
  {ok: "linearizable", illegal: "not linearizable", unknown: "unknown"}[data.verdict];
verdict.className = "verdict v-" + (data.verdict || "none");
document.getElementById("summary").textContent =
  data.ops.length + " operations by " + data.clients.length + " clients" +
  (data.model ? ", checked against " + data.model : "") +
  (data.parts.length > 1 ? " in " + data.parts.length + " parts" : "");
document.getElementById("report").textContent = data.report || "(not checked)";
const select = document.getElementById("part");
const all = document.createElement("option");
all.value = "all"; all.textContent = "all operations"; select.appendChild(all);
data.parts.forEach((p, k) => {
  const o = document.createElement("option");
  o.value = String(k);
  o.textContent = p.label + " (" + p.count + " ops, " + p.verdict + ")";
  select.appendChild(o);
});
if (data.parts.length < 2) select.parentElement.style.display = "none";
if (data.failing !== null && data.parts.length > 1) select.value = String(data.failing);

// lanes: operations of one client that overlap go one under the other
const lanes = data.clients.map(() => []);
const laneOf = {};
const sorted = data.ops.slice().sort((a, b) => a.p0 - b.p0);
for (const op of sorted) {
  const ends = lanes[op.client];
  const end = op.p1 === null ? data.positions + 1 : op.p1;
  let lane = ends.findIndex(e => e < op.p0);
  if (lane < 0) { lane = ends.length; ends.push(end); } else { ends[lane] = end; }
  laneOf[op.id] = lane;
}
const names = document.getElementById("names");
const box = document.getElementById("lanes");
let y = 0;
const rowTop = [];
data.clients.forEach((c, i) => {
  const height = Math.max(1, lanes[i].length) * ROW + LANE_GAP;
  rowTop.push(y);
  const label = document.createElement("div");
  label.style.height = height + "px"; label.style.lineHeight = ROW + "px";
  label.textContent = c; label.title = c;
  names.appendChild(label);
  const row = document.createElement("div");
  row.className = "row"; row.style.top = y + "px"; row.style.height = height + "px";
  box.appendChild(row);
  y += height;
});
box.style.height = y + "px";
box.style.width = ((data.positions + 2) * unit) + "px";
const tip = document.getElementById("tip");
const bars = [];
for (const op of data.ops) {
  const bar = document.createElement("div");
  const end = op.p1 === null ? data.positions + 1 : op.p1;
  bar.className = "op " + op.status + (op.lin !== null ? " lin" : "") + (op.blocked ? " blocked" : "");
  bar.style.left = (op.p0 * unit + 2) + "px";
  bar.style.width = Math.max(unit - 4, (end - op.p0) * unit - 4 + unit) + "px";
  bar.style.top = (rowTop[op.client] + laneOf[op.id] * ROW + 2) + "px";
  if (op.lin !== null) {
    const badge = document.createElement("span");
    badge.className = "badge"; badge.textContent = String(op.lin + 1);
    bar.appendChild(badge);
  }
  bar.appendChild(document.createTextNode(op.desc));
  const lines = [
    "#" + op.id + " " + data.clients[op.client] + ": " + op.desc,
    "status: " + op.status,
    "invoked at " + op.t0 + (op.t1 === null ? ", never returned" : ", returned at " + op.t1),
  ];
  if (op.part !== null && data.parts.length > 1) lines.push("part: " + data.parts[op.part].label);
  if (op.lin !== null) lines.push("linearized #" + (op.lin + 1) + "; state after: " + op.state);
  if (op.blocked) lines.push("could not be linearized after the prefix");
  bar.addEventListener("mousemove", ev => {
    tip.textContent = lines.join("\\n");
    tip.style.display = "block";
    tip.style.left = Math.min(ev.clientX + 14, window.innerWidth - 440) + "px";
    tip.style.top = (ev.clientY + 14) + "px";
  });
  bar.addEventListener("mouseleave", () => { tip.style.display = "none"; });
  box.appendChild(bar);
  bars.push([op, bar]);
}
function show() {
  const k = select.value;
  for (const [op, bar] of bars) {
    bar.classList.toggle("dim", k !== "all" && String(op.part) !== k);
  }
}
select.addEventListener("change", show);
show();
})();
</script>
</body>
</html>
"""

_SLOTS = re.compile("__TITLE__|__DATA__")
"""Where the page's title and data go."""
