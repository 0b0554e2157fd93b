"""``pairs.csv`` (for other tools; its columns are a contract) and ``index.html`` (staff
only: ranked pairs, clusters, and a printable side-by-side view of each pair with the
matching fragments highlighted under the function each belongs to)."""

from __future__ import annotations

import csv
import html
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autograder.integrity.similarity import K, Comparison, Pair, Source

CSV_COLUMNS = ("a", "b", "similarity", "shared_tokens", "functions", "flagged")
MAX_DETAILED = 300
"""Side-by-side views written: every flagged pair, then the highest others, up to this many."""
COLORS = 6


def write_csv(comparison: Comparison, path: Path) -> Path:
    """One row per pair worth a look, sorted by similarity (highest first); ``functions``
    is ``;``-separated; ``flagged`` is ``true``/``false`` at the threshold used."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        for p in comparison.pairs:
            writer.writerow([p.a.name, p.b.name, f"{p.similarity:.3f}", p.shared_tokens, ";".join(p.functions),
                             "true" if p.flagged else "false"])
    return path


# ----------------------------------------------------------------- matching fragments
@dataclass
class Side:
    """One function of one side of a pair, its lines marked with fragment numbers."""

    source: Source
    unit: int
    marks: dict[int, int]
    """Line number (1-based, in the unit's text) -> fragment number."""


def _runs(covered: np.ndarray, unit_of: np.ndarray) -> np.ndarray:
    """(T,) int: a fragment number for each covered token (-1 if not covered); a fragment
    is a run of consecutive covered tokens within one function."""
    run = np.full(covered.shape, -1, np.int64)
    if not covered.any():
        return run
    new = covered & np.concatenate(([True], ~covered[:-1] | (unit_of[1:] != unit_of[:-1])))
    numbers = np.cumsum(new) - 1
    run[covered] = numbers[covered]
    return run


def _marks(source: Source, token_fragments: np.ndarray, unit: int) -> dict[int, int]:
    marks: dict[int, int] = {}
    for t in np.flatnonzero((source.unit_of == unit) & (token_fragments >= 0)).tolist():
        for line in range(int(source.starts[t]), int(source.ends[t]) + 1):
            marks.setdefault(line, int(token_fragments[t]))
    return marks


def matching_functions(pair: Pair) -> list[tuple[Side, Side]]:
    """The functions of ``a`` that share code with functions of ``b``, side by side, in a's
    order; fragment numbers agree across the two sides."""
    a, b, shared = pair.a, pair.b, pair.shared
    in_a = np.isin(a.hashes, shared)
    in_b = np.isin(b.hashes, shared)
    covered_a = np.zeros(a.token_count + K, bool)
    for p in a.positions[in_a].tolist():
        covered_a[p:p + K] = True
    frag_a = _runs(covered_a[:a.token_count], a.unit_of)
    frag_of_hash = {}
    for h, p in zip(a.hashes[in_a].tolist(), a.positions[in_a].tolist()):
        frag_of_hash.setdefault(h, int(frag_a[p]))
    frag_b = np.full(b.token_count, -1, np.int64)
    links: Counter = Counter()
    first_a = {h: p for h, p in zip(a.hashes[in_a].tolist()[::-1], a.positions[in_a].tolist()[::-1])}
    for h, p in zip(b.hashes[in_b].tolist(), b.positions[in_b].tolist()):
        window = frag_b[p:p + K]
        window[window < 0] = frag_of_hash[h]
        links[(int(a.unit_of[first_a[h]]), int(b.unit_of[p]))] += 1
    out = []
    for (ua, ub), _ in sorted(links.items(), key=lambda item: (item[0][0], -item[1])):
        out.append((Side(a, ua, _marks(a, frag_a, ua)), Side(b, ub, _marks(b, frag_b, ub))))
    return out


# ----------------------------------------------------------------- HTML
STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
.staff { background: #fde8e8; border: 1px solid #c33; padding: .6em 1em; margin-bottom: 1em; }
table { border-collapse: collapse; margin: .5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.flagged td { background: #fff4e0; }
.pair { margin-top: 2em; border-top: 2px solid #888; padding-top: .5em; }
.fn { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; margin: .8em 0; }
.fn h4 { margin: .2em 0; font-family: monospace; }
pre { margin: 0; font-size: 12px; line-height: 1.35; background: #fafafa; border: 1px solid #ddd;
      padding: .4em; white-space: pre-wrap; word-break: break-all; }
pre span.line { display: block; }
pre span.n { color: #999; user-select: none; display: inline-block; width: 3em; }
.m0 { background: #ffe08a; } .m1 { background: #b6e3ff; } .m2 { background: #c8f0c0; }
.m3 { background: #f5c6f0; } .m4 { background: #ffcfa8; } .m5 { background: #d9d2ff; }
@media print {
  nav, .noprint { display: none; }
  .pair { page-break-before: always; }
  tr.flagged td, .staff { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  pre span.line[class*=" m"] { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def _code(side: Side) -> str:
    unit = side.source.units[side.unit]
    lines = []
    for number, line in enumerate(unit.text.splitlines(), start=1):
        fragment = side.marks.get(number)
        cls = f"line m{fragment % COLORS}" if fragment is not None else "line"
        title = f' title="fragment {fragment + 1}"' if fragment is not None else ""
        lines.append(f'<span class="{cls}"{title}><span class="n">{number}</span>{html.escape(line)}</span>')
    return "<pre>" + "".join(lines) + "</pre>"


def _pair_section(number: int, pair: Pair) -> str:
    e = html.escape
    parts = [f'<section class="pair" id="pair-{number}"><h3>#{number}: {e(pair.a.name)} and {e(pair.b.name)}'
             f' ({pair.b.kind if pair.b.kind != "student" else "same term"})</h3>',
             f"<p>similarity {pair.similarity:.2f}; {pair.shared_tokens} shared tokens; "
             f"{'flagged' if pair.flagged else 'not flagged'}; functions: {e(', '.join(pair.functions) or '-')}. "
             "Matching fragments share a colour on both sides.</p>"]
    for left, right in matching_functions(pair):
        la, rb = left.source.units[left.unit].name, right.source.units[right.unit].name
        parts.append(f'<div class="fn"><div><h4>{e(pair.a.name)}: {e(la)}</h4>{_code(left)}</div>'
                     f'<div><h4>{e(pair.b.name)}: {e(rb)}</h4>{_code(right)}</div></div>')
    parts.append('<p class="noprint"><a href="#top">back to the list</a></p></section>')
    return "\n".join(parts)


def write_html(comparison: Comparison, path: Path, *, assignment: str, problems: list[str],
               settings_text: str) -> Path:
    """The staff-only report: summary, clusters, ranked pairs, side-by-side views."""
    e = html.escape
    flagged = [p for p in comparison.pairs if p.flagged]
    detailed = (flagged + [p for p in comparison.pairs if not p.flagged])[:max(MAX_DETAILED, len(flagged))]
    number_of = {id(p): i for i, p in enumerate(detailed, start=1)}
    out = [f"<!doctype html><html lang=en><head><meta charset=utf-8><title>Similarity {e(assignment)} (staff only)"
           f"</title><style>{STYLE}</style></head><body id=top>",
           f"<h1>Code similarity: {e(assignment)}</h1>",
           '<div class="staff"><strong>Staff only.</strong> Evidence for a person to weigh, never a verdict: '
           "similar code has innocent causes (a shared study group's explanation, a common tutorial, a short "
           "function with one natural form). Do not share this page with students.</div>",
           f"<p>{comparison.class_size} students this term compared with each other; {comparison.against_size} "
           f"earlier-term and public sources compared with them. Code held by more than {comparison.common} "
           f"students, and the code the release gives, does not count. {e(settings_text)}</p>",
           f"<p>{len(flagged)} flagged pairs, {len(comparison.pairs)} pairs worth a look, "
           f"{len(comparison.clusters)} cluster(s) of 3 or more.</p>"]
    if problems:
        out.append("<h2>Skipped (unreadable)</h2><ul>" + "".join(f"<li>{e(m)}</li>" for m in problems) + "</ul>")
    out.append("<h2>Clusters (3 or more sources joined by flagged pairs)</h2>")
    if comparison.clusters:
        out.append("<ul>" + "".join(f"<li>{len(c)}: {e(', '.join(c))}</li>" for c in comparison.clusters) + "</ul>")
    else:
        out.append("<p>None.</p>")
    out.append("<h2>Pairs, by similarity</h2><nav><table><tr><th>#</th><th>a</th><th>b</th><th>similarity</th>"
               "<th>shared tokens</th><th>functions</th><th>flagged</th></tr>")
    for rank, p in enumerate(comparison.pairs, start=1):
        link = number_of.get(id(p))
        view = f'<a href="#pair-{link}">view</a>' if link else ""
        out.append(f'<tr class="{"flagged" if p.flagged else ""}"><td class=num>{rank}</td><td>{e(p.a.name)}</td>'
                   f"<td>{e(p.b.name)}{' (' + e(p.b.kind) + ')' if p.b.kind != 'student' else ''}</td>"
                   f"<td class=num>{p.similarity:.2f}</td><td class=num>{p.shared_tokens}</td>"
                   f"<td>{e(', '.join(p.functions))}</td><td>{'yes' if p.flagged else ''} {view}</td></tr>")
    out.append("</table></nav>")
    for p in detailed:
        out.append(_pair_section(number_of[id(p)], p))
    out.append("</body></html>\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out), encoding="utf-8")
    return path
