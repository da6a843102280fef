// The matrix as one self-contained HTML page: inline CSS and JS, no fonts,
// scripts or images from anywhere (it must open from a file:// URL, offline,
// and make no network request). One tab per port/protocol; hovering a cell
// shows what decided it (native tooltip, and the panel under the tabs); with
// --against, cells whose verdict changed are outlined. `#tab=N` (1-based) in
// the URL selects a tab, so a headless browser can be pointed at any tab, and
// `#tab=N&cell=R,C` (row and column, 1-based) shows that cell's explanation
// under the tabs: a link to one flow's verdict.
//
// A cell's hover text is made by the page's script from what the cell
// carries — its why-lines by number (`data-w`) into the page's one list of
// lines (`#reasons`, a JSON data block), its pod pair counts (`data-n`), its
// old verdict (`data-was`) — with its row's and column's names and its tab's
// port: a namespace matrix of a large cluster has millions of cells, and each
// repeating its lines made the 50k-pod page 6 GB.
//
// Every text that comes from the inputs goes through escapeHtml (the reasons
// block through jsonInScript); the script only ever sets textContent and
// title, never innerHTML.
import { escapeHtml as h } from "./escape.js";
import { changed, MatrixReasons, type Cell, type Matrix, type MatrixTable, type Party } from "./matrix.js";
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
  function fromHash(){
    var m=/tab=(\\d+)/.exec(location.hash);show(m?Number(m[1]):1);
    var c=/cell=(\\d+),(\\d+)/.exec(location.hash),row=c&&document.querySelectorAll('.panel.active tbody tr')[Number(c[1])-1],td=row&&row.querySelectorAll('td.cell')[Number(c[2])-1];
    if(td)explain(td);
  }
  function explain(td){if(!td.hasAttribute('title'))td.setAttribute('title',cellText(td));info.textContent=td.getAttribute('title');}
  for(var i=0;i<tabs.length;i++)tabs[i].addEventListener('click',function(e){location.hash='tab='+e.currentTarget.getAttribute('data-tab');});
  window.addEventListener('hashchange',fromHash);
  var reasons=JSON.parse(document.getElementById('reasons').textContent),STATE={'.':'allowed','X':'denied','~':'mixed','-':'n/a'};
  function cellText(td){
    var tr=td.parentNode,section=td.closest('section'),cols=section.querySelectorAll('thead th.dst');
    var lines=[tr.querySelector('th.src').textContent+' \\u2192 '+cols[td.cellIndex-1].textContent+' '+section.getAttribute('data-port')+': '+STATE[td.textContent]];
    var n=td.getAttribute('data-n');if(n){n=n.split(' ');lines.push(n[0]+' pod pair(s) allowed, '+n[1]+' denied');}
    var w=td.getAttribute('data-w');if(w)w.split(' ').forEach(function(i){lines.push(reasons[Number(i)]);});
    var was=td.getAttribute('data-was');if(was!==null){var wn=td.getAttribute('data-wn');wn=wn?wn.split(' '):null;lines.push('before (--against): '+was+(wn?' ('+wn[0]+' allowed, '+wn[1]+' denied)':''));}
    return lines.join('\\n');
  }
  document.addEventListener('mouseover',function(e){
    var c=e.target.closest&&e.target.closest('td.cell');
    if(c){explain(c);return;}
    var t=e.target.closest&&e.target.closest('[title]');if(t)info.textContent=t.getAttribute('title');
  });
  fromHash();
})();
`;

const stateClass = (c: Cell): string => (c.state === "n/a" ? "na" : c.state);

function partyTitle(p: Party): string {
  return [p.key, p.detail, ...(p.labels.length ? ["labels:", ...p.labels.map((l) => "  " + l)] : [])].join("\n");
}

/**
 * What a cell carries for its hover text (the page's cellText makes the text, as cellTitle spells it): numbers and
 * fixed words only, so nothing from the inputs is in a cell's attributes.
 */
function cellData(m: Matrix, reasons: MatrixReasons, c: Cell): string {
  const w = reasons.of(c.why);
  let out = w.length ? ` data-w="${w.join(" ")}"` : "";
  if (m.by === "namespace") out += ` data-n="${c.allowed} ${c.denied}"`;
  if (changed(c) || c.was === "absent") {
    out += ` data-was="${h(c.was ?? "")}"`;
    if (c.wasCounts && m.by === "namespace") out += ` data-wn="${c.wasCounts.allowed} ${c.wasCounts.denied}"`;
  }
  return out;
}

/** A cell's hover text, as the page's script makes it from the cell's data (test/views/matrix.test.ts checks the two agree). */
export function cellTitle(m: Matrix, t: MatrixTable, r: number, d: number, c: Cell): string {
  const head = `${m.parties[r]?.key ?? ""} → ${m.parties[d]?.key ?? ""} ${t.label}: ${c.state}`;
  const counts = m.by === "namespace" ? [`${c.allowed} pod pair(s) allowed, ${c.denied} denied`] : [];
  const before = c.wasCounts && m.by === "namespace" ? ` (${c.wasCounts.allowed} allowed, ${c.wasCounts.denied} denied)` : "";
  const was = changed(c) || c.was === "absent" ? [`before (--against): ${c.was ?? ""}${before}`] : [];
  return [head, ...counts, ...c.why, ...was].join("\n");
}

/**
 * JSON inside a `<script type="application/json">` block: `<`, `>`, `&` and `'` as JSON escapes, so no text from
 * the inputs can close the block, open a comment in it or read as markup anywhere; JSON.parse reads the same
 * strings back.
 */
function jsonInScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&'\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** One tab's section, a row at a time (chunks of whole lines: a namespace matrix of 50k pods is hundreds of megabytes of page). */
function* tableHtml(m: Matrix, reasons: MatrixReasons, t: MatrixTable, i: number): Generator<string> {
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
    const cells = (t.cells[r] ?? []).map((c) => {
      const cls = `cell ${stateClass(c)}${changed(c) ? " changed" : ""}`;
      return `<td class="${cls}"${cellData(m, reasons, c)}>${MARK[c.state]}</td>`;
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
  const reasons = new MatrixReasons(m);
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
<script type="application/json" id="reasons">${jsonInScript(reasons.lines)}</script>
`;
  if (m.parties.length === 0) yield "<p>No endpoint pods in the snapshot.</p>";
  else {
    for (let i = 0; i < m.tables.length; i++) {
      if (i > 0) yield "\n";
      yield* tableHtml(m, reasons, m.tables[i]!, i);
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
