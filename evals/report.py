"""The eval report: `report.md` and a self-contained `report.html` with matplotlib charts (PNG).

The report is built once as a list of blocks (heading, paragraph, table, image, list) and rendered
to both Markdown (images as relative PNG links) and HTML (images embedded as base64, so the one
file can be mailed around). All headings and explanations are Dutch: the readers are policy staff.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from pathlib import Path

from evals.runner import (
    LLM_KEYS,
    METRIC_LABELS_NL,
    ConfigResult,
    EvalRun,
    QuestionResult,
    format_value,
    table_rows,
)

RETRIEVAL_CHART_KEYS = ("hit@1", "hit@3", "hit@5", "mrr", "ndcg@10", "recall@10")
ANSWER_CHART_KEYS = ("citation_validity", "keyword_recall", "out_of_scope_accuracy", "false_refusal_rate", "oos_refusal_rate")
GROUP_KEYS = ("n", "hit@5", "out_of_scope_accuracy", "keyword_recall")
GROUP_LABELS = {"n": "vragen", "hit@5": "hit@5", "mrr": "MRR", "out_of_scope_accuracy": "scope goed", "keyword_recall": "trefwoorden"}
MAX_WRONG_SHOWN = 200

EXPLANATION = [
    "**hit@k**: het deel van de vragen (binnen scope, met verwachte bronnen) waarbij een verwachte bron bij de eerste k gevonden fragmenten zit.",
    "**MRR**: gemiddelde van 1/positie van de eerste juiste bron (1 = altijd bovenaan).",
    "**nDCG@10**: hoe hoog de juiste bronnen in de top 10 staan (1 = ideaal).",
    "**recall@10**: welk deel van de verwachte bronnen ergens in de top 10 staat.",
    "**geldige bronvermelding**: het deel van de antwoorden met bronnen waarin elke bron echt in de index staat en elk [n] naar een genoemde bron verwijst.",
    "**trefwoorden gevonden**: welk deel van de verwachte trefwoorden in de antwoordtekst voorkomt.",
    "**scope-nauwkeurigheid**: over alle vragen: beantwoord als de vraag over de werkagenda gaat, geweigerd als dat niet zo is.",
    "**onterecht geweigerd**: deel van de vragen binnen scope dat toch geweigerd werd; **terecht geweigerd**: deel van de vragen buiten scope dat geweigerd werd.",
    "**latentie**: tijd per vraag in milliseconden (p50 = mediaan, p95 = 95e percentiel).",
]


@dataclass
class Block:
    kind: str  # "h1" | "h2" | "h3" | "p" | "table" | "image" | "list"
    text: str = ""
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    items: list[str] = field(default_factory=list)


# -- charts ------------------------------------------------------------------------------------
def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def bar_chart(run: EvalRun, keys: tuple[str, ...], title: str, path: Path) -> Path:
    plt = _pyplot()
    names = list(run.configs)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.4 * len(keys) + 2), 3.8))
    width = 0.8 / max(len(names), 1)
    for j, name in enumerate(names):
        values = [run.configs[name].metrics.get(k) or 0.0 for k in keys]
        xs = [i + (j - (len(names) - 1) / 2) * width for i in range(len(keys))]
        bars = ax.bar(xs, values, width=width * 0.95, label=name)
        for bar, value in zip(bars, values):
            ax.annotate(f"{value:.2f}", (bar.get_x() + bar.get_width() / 2, value), ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(keys)))
    ax.set_xticklabels([METRIC_LABELS_NL.get(k, k) for k in keys], rotation=15, ha="right", fontsize=8)
    ax.set_ylim(0, 1.12)
    ax.set_title(title)
    ax.legend(fontsize=8, ncols=min(len(names), 4), loc="upper center", bbox_to_anchor=(0.5, -0.28), frameon=False)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def latency_chart(run: EvalRun, path: Path) -> Path:
    plt = _pyplot()
    names = list(run.configs)
    fig, ax = plt.subplots(figsize=(max(5.0, 1.3 * len(names) + 2), 3.4))
    p50 = [run.configs[n].metrics.get("latency_ms_p50") or 0.0 for n in names]
    p95 = [run.configs[n].metrics.get("latency_ms_p95") or 0.0 for n in names]
    xs = range(len(names))
    ax.bar([x - 0.2 for x in xs], p50, width=0.38, label="p50")
    ax.bar([x + 0.2 for x in xs], p95, width=0.38, label="p95")
    ax.set_xticks(list(xs))
    ax.set_xticklabels(names)
    ax.set_ylabel("ms per vraag")
    ax.set_title("Latentie per configuratie")
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def priority_heatmap(run: EvalRun, path: Path) -> Path | None:
    """hit@5 per priority (rows) × configuration (columns)."""
    priorities = list(dict.fromkeys(p for c in run.configs.values() for p in c.by_priority))
    if not priorities:
        return None
    plt = _pyplot()
    import numpy as np

    names = list(run.configs)
    grid = np.full((len(priorities), len(names)), np.nan)
    for j, name in enumerate(names):
        for i, p in enumerate(priorities):
            cell = run.configs[name].by_priority.get(p)
            if cell:
                grid[i, j] = cell["hit@5"]
    fig, ax = plt.subplots(figsize=(1.3 * len(names) + 2.6, 0.3 * len(priorities) + 1.6))
    image = ax.imshow(grid, cmap="RdYlGn", vmin=0, vmax=1, aspect="auto")
    counts = run.primary.by_priority
    ax.set_yticks(range(len(priorities)))
    ax.set_yticklabels([f"{p} (n={counts.get(p, {}).get('n', '?')})" for p in priorities], fontsize=7)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, fontsize=8)
    ax.xaxis.tick_top()
    for i in range(len(priorities)):
        for j in range(len(names)):
            if not np.isnan(grid[i, j]):
                ax.text(j, i, f"{grid[i, j]:.2f}", ha="center", va="center", fontsize=6)
    fig.colorbar(image, ax=ax, fraction=0.05, label="hit@5")
    ax.set_title("hit@5 per prioriteit", pad=22, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# -- content -----------------------------------------------------------------------------------
def _group_table(run: EvalRun, attr: str, title_col: str) -> Block:
    names = list(run.configs)
    groups = list(dict.fromkeys(g for c in run.configs.values() for g in getattr(c, attr)))
    header = [title_col, "vragen"] + [f"{GROUP_LABELS[k]} ({n})" for n in names for k in GROUP_KEYS[1:]]
    rows = []
    for g in groups:
        counts = getattr(run.primary, attr).get(g, {})
        row = [g, str(counts.get("n", ""))]
        for n in names:
            cell = getattr(run.configs[n], attr).get(g, {})
            row += [format_value(k, cell.get(k)) for k in GROUP_KEYS[1:]]
        rows.append(row)
    return Block("table", header=header, rows=rows)


def _decision(r: QuestionResult) -> str:
    if r.error:
        return f"fout: {r.error}"
    if r.out_of_scope and r.answered:
        return "beantwoord, maar valt buiten scope"
    if not r.out_of_scope and not r.answered:
        return "onterecht geweigerd"
    if r.out_of_scope:
        return "terecht geweigerd"
    rank = f"eerste juiste bron op plaats {r.first_hit_rank}" if r.first_hit_rank else "geen juiste bron in de top 10"
    return f"beantwoord; {rank}"


def _instead(r: QuestionResult, labels: dict[str, str]) -> str:
    if r.cited_labels:
        return "; ".join(r.cited_labels)
    if r.retrieved:
        return "(niets geciteerd; gevonden: " + "; ".join(labels.get(cid, cid) for cid in r.retrieved[:3]) + ")"
    return "(niets)"


def wrong_table(config: ConfigResult, labels: dict[str, str]) -> Block:
    wrong = [r for r in config.per_question if r.wrong]
    rows = [
        [
            r.id, r.question + (" (vervolgvraag)" if r.follow_up else ""), ", ".join(r.expected) or "—",
            _decision(r), _instead(r, labels),
        ]
        for r in wrong[:MAX_WRONG_SHOWN]
    ]
    return Block("table", header=["id", "vraag", "verwacht", "besluit", "geciteerd in plaats daarvan"], rows=rows)


def build_blocks(run: EvalRun, images: dict[str, Path], labels: dict[str, str] | None = None) -> list[Block]:
    labels = labels or {}
    names = list(run.configs)
    blocks = [
        Block("h1", "Evaluatierapport Werkagenda-assistent"),
        Block("p", (
            f"Vragenbestand: `{run.questions_file}` · {run.n} vragen ({run.n_in_scope} binnen scope, "
            f"{run.n_out_of_scope} buiten scope) · embedder: {run.embedder or 'onbekend'} · uitgevoerd: {run.started_at}"
        )),
        Block("h2", "Configuraties"),
        Block("list", items=[f"**{n}**: {c.description} ({len(c.per_question)} vragen in {c.seconds:.1f} s)" for n, c in run.configs.items()]),
        Block("h2", "Resultaten per configuratie"),
        Block("table", header=["maat", *names], rows=[[label, *values] for label, values in table_rows(run)]),
    ]
    if run.llm_judge:
        blocks.append(Block("p", (
            f"Maten met (LLM-beoordeeld) zijn gescoord door het taalmodel {run.llm_judge} met de evaluatoren van "
            "llama-index (FaithfulnessEvaluator, RelevancyEvaluator); ze zijn indicatief."
        )))
    else:
        blocks.append(Block("p", "LLM-beoordeelde maten (getrouwheid, relevantie) zijn overgeslagen: er is geen taalmodel ingesteld (WERKAGENDA_LLM)."))
    for key in ("retrieval", "answers", "latency"):
        if key in images:
            blocks.append(Block("image", text=images[key].name))
    blocks.append(Block("h2", "Per prioriteit"))
    if "heatmap" in images:
        blocks.append(Block("image", text=images["heatmap"].name))
        blocks.append(Block("p", "hit@5 per prioriteit (vragen binnen scope met verwachte bronnen; de prioriteit is die van de eerste verwachte bron)."))
    else:
        blocks.append(Block("p", "Geen vragen met verwachte bronnen binnen een prioriteit."))
    blocks += [
        Block("h2", "Per stijl"), _group_table(run, "by_style", "stijl"),
        Block("h2", "Per programmalijn"), _group_table(run, "by_programmalijn", "programmalijn"),
        Block("h2", "Fout beantwoorde vragen"),
        Block("p", "Een vraag telt als fout als geen verwachte bron bij de eerste vijf gevonden fragmenten zit, of als het scope-besluit verkeerd is (beantwoord terwijl de vraag buiten de werkagenda valt, of geweigerd terwijl ze erbinnen valt)."),
    ]
    for name, config in run.configs.items():
        wrong = [r for r in config.per_question if r.wrong]
        blocks.append(Block("h3", f"{name}: {len(wrong)} van {len(config.per_question)} vragen fout"))
        if wrong:
            blocks.append(wrong_table(config, labels))
            if len(wrong) > MAX_WRONG_SHOWN:
                blocks.append(Block("p", f"(alleen de eerste {MAX_WRONG_SHOWN} getoond; zie --json voor alles)"))
    if run.warnings:
        blocks += [Block("h2", "Waarschuwingen bij het vragenbestand"), Block("list", items=run.warnings)]
    blocks += [Block("h2", "Zo lees je de maten"), Block("list", items=EXPLANATION)]
    return blocks


# -- rendering ---------------------------------------------------------------------------------
def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(blocks: list[Block]) -> str:
    out: list[str] = []
    for b in blocks:
        if b.kind in ("h1", "h2", "h3"):
            out.append("#" * int(b.kind[1]) + " " + b.text)
        elif b.kind == "p":
            out.append(b.text)
        elif b.kind == "list":
            out.append("\n".join(f"- {item}" for item in b.items))
        elif b.kind == "image":
            out.append(f"![{Path(b.text).stem}]({b.text})")
        elif b.kind == "table":
            lines = ["| " + " | ".join(_md_cell(h) for h in b.header) + " |", "|" + "---|" * len(b.header)]
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in b.rows]
            out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


def _inline(text: str) -> str:
    """Escape, then the two bits of Markdown the blocks use: **bold** and `code`."""
    import re

    escaped = html.escape(text)
    escaped = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escaped)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", escaped)


CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#1b1b1b;line-height:1.45}
h1{color:#154273}h2{color:#154273;border-bottom:1px solid #ccd;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.8em 0;font-size:.9em}th,td{border:1px solid #ccd;padding:.3em .6em;vertical-align:top}
th{background:#eef2f7;text-align:left}td:not(:first-child){font-variant-numeric:tabular-nums}
img{max-width:100%;margin:.5em 0}code{background:#f3f3f3;padding:0 .2em}
"""


def render_html(blocks: list[Block], image_dir: Path) -> str:
    body: list[str] = []
    title = next((b.text for b in blocks if b.kind == "h1"), "Evaluatierapport")
    for b in blocks:
        if b.kind in ("h1", "h2", "h3"):
            body.append(f"<{b.kind}>{_inline(b.text)}</{b.kind}>")
        elif b.kind == "p":
            body.append(f"<p>{_inline(b.text)}</p>")
        elif b.kind == "list":
            body.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in b.items) + "</ul>")
        elif b.kind == "image":
            data = base64.b64encode((image_dir / b.text).read_bytes()).decode()
            body.append(f'<img alt="{html.escape(Path(b.text).stem)}" src="data:image/png;base64,{data}">')
        elif b.kind == "table":
            head = "".join(f"<th>{_inline(h)}</th>" for h in b.header)
            rows = "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in row) + "</tr>" for row in b.rows)
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    return (
        f'<!doctype html>\n<html lang="nl"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def write_report(run: EvalRun, out_dir: Path | str, labels: dict[str, str] | None = None) -> dict[str, Path]:
    """Write report.md, report.html and the PNG charts into out_dir; returns the paths written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    images: dict[str, Path] = {
        "retrieval": bar_chart(run, RETRIEVAL_CHART_KEYS, "Vinden van de juiste bron", out_dir / "retrieval.png"),
        "answers": bar_chart(run, ANSWER_CHART_KEYS, "Antwoorden en scope", out_dir / "antwoorden.png"),
        "latency": latency_chart(run, out_dir / "latentie.png"),
    }
    heat = priority_heatmap(run, out_dir / "prioriteiten.png")
    if heat is not None:
        images["heatmap"] = heat
    if any(k in c.metrics for c in run.configs.values() for k in LLM_KEYS):
        images["llm"] = bar_chart(run, LLM_KEYS, "LLM-beoordeeld", out_dir / "llm.png")
    blocks = build_blocks(run, images, labels if labels is not None else run.labels)
    if "llm" in images:
        index = next(i for i, b in enumerate(blocks) if b.kind == "image") + 1
        blocks.insert(index, Block("image", text=images["llm"].name))
    md = out_dir / "report.md"
    md.write_text(render_markdown(blocks), encoding="utf-8")
    page = out_dir / "report.html"
    page.write_text(render_html(blocks, out_dir), encoding="utf-8")
    return {"markdown": md, "html": page, **images}
