// The matrix as one self-contained HTML page: inline CSS and JS, no fonts,
// scripts or images from anywhere (it must open from a file:// URL, offline,
// and make no network request). One tab per port/protocol; hovering a cell
// shows what decided it (native tooltip, and the panel under the tabs); with
// --against, cells whose verdict changed are outlined. `#tab=N` (1-based) in
// the URL selects a tab, so a headless browser can be pointed at any tab.
//
// Every text that comes from the inputs goes through escapeHtml; the script
// only ever sets textContent, never innerHTML.
import { escapeHtml as h } from "./escape.js";
import { changed, type Cell, type Matrix, type MatrixTable, type Party } from "./matrix.js";
import { legend } from "./matrix-text.js";

const MARK: Record<Cell["state"], string> = { allowed: ".", denied: "X", mixed: "~", "n/a": "-" };

const CSS = `
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:16px;color:#1b1b1b;background:#fff}
h1{font-size:20px;margin:0 0 4px}
.legend{color:#444;margin:0 0 12px}
.key{display:inline-block;width:14px;height:14px;vertical-align:-2px;border:1px solid #888;margin:0 4px 0 10px}
nav{display:flex;flex-wrap:wrap;gap:4px;border-bottom:2px solid #567;margin-bottom:8px}
nav button{font:inherit;padding:6px 12px;border:1px solid #99a;border-bottom:none;background:#eef;cursor:pointer;border-radius:4px 4px 0 0}
nav button.active{background:#567;color:#fff}
.panel{display:none}.panel.active{display:block}
#info{min-height:3.2em;white-space:pre-wrap;font:12px/1.35 ui-monospace,monospace;background:#f6f6f0;border:1px solid #ccc;padding:6px 8px;margin:8px 0}
table{border-collapse:collapse}
th,td{border:1px solid #bbb}
th{font-weight:normal;font-family:ui-monospace,monospace;font-size:12px;background:#f4f4f8;padding:2px 6px;text-align:left;white-space:nowrap}
thead th.dst{writing-mode:vertical-rl;transform:rotate(180deg);padding:6px 2px;vertical-align:bottom}
td.cell{width:26px;height:26px;text-align:center;font:bold 13px ui-monospace,monospace;cursor:default}
.allowed{background:#bfe8bf;color:#1d5e20}.denied{background:#f3b6b6;color:#8a1010}
.mixed{background:#f7dd9a;color:#6b4b00}.na{background:#e6e6e6;color:#777}
td.changed{outline:3px solid #1846c8;outline-offset:-3px}
td.cell:hover,th:hover{filter:brightness(.9)}
.summary{color:#444;margin:4px 0 8px}
`;

const SCRIPT = `
(function(){
  var tabs=document.querySelectorAll('nav button'),panels=document.querySelectorAll('.panel'),info=document.getElementById('info');
  function show(n){
    if(!(n>=1&&n<=tabs.length))n=1;
    for(var i=0;i<tabs.length;i++){tabs[i].classList.toggle('active',i===n-1);panels[i].classList.toggle('active',i===n-1);}
    document.body.setAttribute('data-tab',String(n));
  }
  function fromHash(){var m=/tab=(\\d+)/.exec(location.hash);show(m?Number(m[1]):1);}
  for(var i=0;i<tabs.length;i++)tabs[i].addEventListener('click',function(e){location.hash='tab='+e.currentTarget.getAttribute('data-tab');});
  window.addEventListener('hashchange',fromHash);
  document.addEventListener('mouseover',function(e){var t=e.target.closest&&e.target.closest('[title]');if(t)info.textContent=t.getAttribute('title');});
  fromHash();
})();
`;

const stateClass = (c: Cell): string => (c.state === "n/a" ? "na" : c.state);

function partyTitle(p: Party): string {
  return [p.key, p.detail, ...(p.labels.length ? ["labels:", ...p.labels.map((l) => "  " + l)] : [])].join("\n");
}

function cellTitle(m: Matrix, t: MatrixTable, r: number, d: number, c: Cell): string {
  const head = `${m.parties[r]?.key ?? ""} → ${m.parties[d]?.key ?? ""} ${t.label}: ${c.state}`;
  const counts = m.by === "namespace" ? [`${c.allowed} pod pair(s) allowed, ${c.denied} denied`] : [];
  const before = c.wasCounts && m.by === "namespace" ? ` (${c.wasCounts.allowed} allowed, ${c.wasCounts.denied} denied)` : "";
  const was = changed(c) || c.was === "absent" ? [`before (--against): ${c.was ?? ""}${before}`] : [];
  return [head, ...counts, ...c.why, ...was].join("\n");
}

/** One tab's section, a row at a time (chunks of whole lines: a namespace matrix of 50k pods is gigabytes of page). */
function* tableHtml(m: Matrix, t: MatrixTable, i: number): Generator<string> {
  const head = m.parties.map((p) => `<th class="dst" title="${h(partyTitle(p))}">${h(p.key)}</th>`).join("");
  const flat = t.cells.flat();
  const n = (pred: (c: Cell) => boolean): number => flat.filter(pred).length;
  const summary = `${h(t.label)}${t.port.mentioned ? "" : " (no policy mentions this port)"}: ${n((c) => c.state === "allowed")} allowed, ` +
    `${n((c) => c.state === "denied")} denied${n((c) => c.state === "mixed") ? `, ${n((c) => c.state === "mixed")} mixed` : ""}` +
    `${m.against ? `, ${n(changed)} changed` : ""}`;
  yield `<section class="panel${i === 0 ? " active" : ""}" id="tab-${i + 1}" data-port="${h(t.label)}">
<p class="summary">${summary}</p>
<table class="matrix"><thead><tr><th class="corner">from \\ to</th>${head}</tr></thead>
<tbody>
`;
  for (let r = 0; r < m.parties.length; r++) {
    const p = m.parties[r]!;
    const cells = (t.cells[r] ?? []).map((c, d) => {
      const cls = `cell ${stateClass(c)}${changed(c) ? " changed" : ""}`;
      return `<td class="${cls}" title="${h(cellTitle(m, t, r, d, c))}">${MARK[c.state]}</td>`;
    });
    yield `<tr><th class="src" title="${h(partyTitle(p))}">${h(p.key)}</th>${cells.join("")}</tr>${r === m.parties.length - 1 ? "" : "\n"}`;
  }
  yield `
</tbody></table></section>`;
}

function tabButton(m: Matrix, t: MatrixTable, i: number): string {
  const nChanged = t.cells.flat().filter(changed).length;
  const extra = m.against && nChanged ? ` (${nChanged} changed)` : "";
  return `<button type="button" data-tab="${i + 1}"${i === 0 ? ' class="active"' : ""}>${h(t.label + extra)}</button>`;
}

/** The page in chunks (see tableHtml); joined, matrixHtml. */
export function* matrixHtmlChunks(m: Matrix, title = "netpolc connectivity matrix"): Generator<string> {
  const keys = `<span class="key allowed"></span>allowed<span class="key denied"></span>denied` +
    `<span class="key mixed"></span>some pods allowed<span class="key na"></span>no such port` +
    (m.against ? `<span class="key changed" style="outline:3px solid #1846c8;outline-offset:-3px"></span>verdict changed` : "");
  yield `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>${h(title)}</title><style>${CSS}</style></head>
<body data-tab="1">
<h1>${h(title)}</h1>
<p class="legend">${h(legend(m))}<br>${keys}</p>
<nav>${m.tables.map((t, i) => tabButton(m, t, i)).join("")}</nav>
<div id="info">Hover a cell to see the policy rule that decided it.</div>
`;
  if (m.parties.length === 0) yield "<p>No endpoint pods in the snapshot.</p>";
  else {
    for (let i = 0; i < m.tables.length; i++) {
      if (i > 0) yield "\n";
      yield* tableHtml(m, m.tables[i]!, i);
    }
  }
  yield `
<script>${SCRIPT}</script>
</body></html>
`;
}

export function matrixHtml(m: Matrix, title = "netpolc connectivity matrix"): string {
  return [...matrixHtmlChunks(m, title)].join("");
}
