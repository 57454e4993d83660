/** HTML escaping and the page shell (one inline stylesheet, no scripts, no external resources). */

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

/**
 * Light inline markup for report prose: paragraphs split at blank lines, `code`, **bold**, *italic*. Everything else is
 * escaped, so user text (model names, file paths) can never inject markup.
 */
export function renderProse(text: string): string {
  return text
    .trim()
    .split(/\n\s*\n/)
    .map((para) => `<p>${renderInline(para.trim())}</p>`)
    .join("\n");
}

export function renderInline(text: string): string {
  return escapeHtml(text)
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
    .replace(/(^|[^*])\*([^*\s][^*]*)\*/g, "$1<em>$2</em>");
}

const STYLE = `
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg-alt: #f6f8fa; --accent: #0969da;
  --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #fff; line-height: 1.5;
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", "Noto Sans", "DejaVu Sans", Helvetica, Arial, sans-serif; }
main { max-width: 1040px; margin: 0 auto; padding: 28px 24px 64px; }
header.report { border-bottom: 1px solid var(--line); margin-bottom: 8px; padding-bottom: 12px; }
header.report h1 { margin: 0 0 4px; font-size: 28px; }
header.report .subtitle { color: var(--muted); margin: 0; }
nav.toc { font-size: 14px; margin: 12px 0 0; }
nav.toc a { color: var(--accent); text-decoration: none; margin-right: 16px; }
h2 { margin: 36px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); font-size: 22px; }
h3 { margin: 26px 0 6px; font-size: 18px; }
h4 { margin: 18px 0 4px; font-size: 15px; }
p { margin: 8px 0; }
code, pre { font-family: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 13px; }
code { background: var(--bg-alt); padding: 1px 4px; border-radius: 4px; }
pre { background: var(--bg-alt); padding: 10px 12px; border-radius: 6px; overflow-x: auto; border: 1px solid var(--line); }
pre code { background: none; padding: 0; }
table { border-collapse: collapse; margin: 10px 0; font-size: 14px; }
th, td { border: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: var(--bg-alt); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
tbody tr:nth-child(even) td { background: #fbfcfd; }
table.kv th { white-space: nowrap; }
table.kv { min-width: 420px; }
figure { margin: 14px 0; }
figure.chart img { max-width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; }
.grid { display: grid; gap: 10px 14px; margin: 10px 0; align-items: start; }
.grid .colhead { font-weight: 600; font-size: 13px; color: var(--muted); text-align: center; }
.grid .rowhead { font-size: 13px; font-weight: 600; align-self: center; }
.grid figure { margin: 0; text-align: center; }
.grid figure img { image-rendering: pixelated; border: 1px solid var(--line); max-width: 100%; height: auto; display: block; margin: 0 auto; }
.grid figcaption { font-size: 12.5px; color: var(--fg); }
.note { border-left: 4px solid var(--accent); background: #f0f6ff; padding: 8px 12px; margin: 12px 0; border-radius: 0 6px 6px 0; }
.note.warning { border-color: var(--warn); background: #fff8c5; }
.note.unavailable { border-color: var(--bad); background: #ffebe9; }
.note.success { border-color: var(--ok); background: #dafbe1; }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12.5px; font-weight: 600; }
.badge.ok { background: #dafbe1; color: var(--ok); }
.badge.bad { background: #ffebe9; color: var(--bad); }
.badge.warn { background: #fff8c5; color: var(--warn); }
footer { margin-top: 40px; color: var(--muted); font-size: 12.5px; border-top: 1px solid var(--line); padding-top: 8px; }
`;

export interface PageParts {
  title: string;
  subtitle?: string;
  toc: { id: string; text: string }[];
  body: string;
  footer?: string;
}

export function renderPage(parts: PageParts): string {
  const toc =
    parts.toc.length > 1
      ? `<nav class="toc">${parts.toc.map((t) => `<a href="#${escapeHtml(t.id)}">${escapeHtml(t.text)}</a>`).join("")}</nav>`
      : "";
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="gradopt">
<title>${escapeHtml(parts.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<header class="report"><h1>${escapeHtml(parts.title)}</h1>${
    parts.subtitle ? `<p class="subtitle">${renderInline(parts.subtitle)}</p>` : ""
  }${toc}</header>
${parts.body}
<footer>${parts.footer ? renderInline(parts.footer) : "Written by gradopt."}</footer>
</main>
</body>
</html>
`;
}
