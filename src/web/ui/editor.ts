/**
 * A plain-textarea code editor with a line-number gutter and inline error markers: a backdrop <pre> mirrors the text
 * (transparent glyphs) so the error line and column can be highlighted exactly under the textarea's own characters.
 */
import { h } from "./dom.js";

export interface EditorMarker {
  /** 1-based; absent for an error outside the editor's text (e.g. in a data CSV): message only. */
  line?: number;
  column?: number; // 1-based
  message: string;
}

export interface Editor {
  root: HTMLElement;
  textarea: HTMLTextAreaElement;
  getText(): string;
  setText(text: string): void;
  setMarker(marker: EditorMarker | undefined): void;
  /** Moves the caret to a line/column and scrolls it into view. */
  focusAt(line: number, column?: number): void;
}

export function createEditor(opts: {
  id: string;
  label: string;
  onInput: () => void;
  onSubmit?: () => void;
}): Editor {
  const gutter = h("div", { class: "gutter", "aria-hidden": "true" });
  const backdrop = h("pre", { class: "backdrop", "aria-hidden": "true" });
  const message = h("div", {
    class: "editor-message",
    id: `${opts.id}-message`,
    role: "status",
    "aria-live": "polite",
  });
  const textarea = h("textarea", {
    id: opts.id,
    class: "code",
    spellcheck: "false",
    autocapitalize: "off",
    autocomplete: "off",
    wrap: "off",
    "aria-describedby": `${opts.id}-message`,
    "aria-label": opts.label,
  });
  const body = h("div", { class: "editor-body" }, backdrop, textarea);
  const root = h("div", { class: "editor" }, h("div", { class: "editor-frame" }, gutter, body), message);
  let marker: EditorMarker | undefined;

  const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

  function render(): void {
    const lines = textarea.value.split("\n");
    gutter.replaceChildren(
      ...lines.map((_, i) =>
        h(
          "div",
          {
            class: marker?.line === i + 1 ? "ln err" : "ln",
            title: marker?.line === i + 1 ? marker.message : undefined,
          },
          String(i + 1),
        ),
      ),
    );
    backdrop.innerHTML =
      lines
        .map((line, i) => {
          if (!marker || marker.line !== i + 1) return escape(line);
          const col = Math.max(0, Math.min(line.length, (marker.column ?? 1) - 1));
          // Underline from the column to the end of the token (at least one character, even past the line's end).
          const rest = line.slice(col);
          const len = Math.max(1, /^[^\s,:{}[\]]+/.exec(rest)?.[0].length ?? 1);
          const mark = escape(line.slice(col, col + len)) || " ";
          return `<span class="err-line">${escape(line.slice(0, col))}<mark class="err-mark">${mark}</mark>${escape(line.slice(col + len))}</span>`;
        })
        .join("\n") + "\n";
    syncScroll();
  }

  function syncScroll(): void {
    backdrop.scrollTop = textarea.scrollTop;
    backdrop.scrollLeft = textarea.scrollLeft;
    gutter.style.transform = `translateY(${-textarea.scrollTop}px)`;
  }

  textarea.addEventListener("input", () => {
    render();
    opts.onInput();
  });
  textarea.addEventListener("scroll", syncScroll);
  textarea.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey) && opts.onSubmit) {
      ev.preventDefault();
      opts.onSubmit();
    }
  });

  const editor: Editor = {
    root,
    textarea,
    getText: () => textarea.value,
    setText(text) {
      textarea.value = text;
      render();
    },
    setMarker(m) {
      marker = m;
      textarea.setAttribute("aria-invalid", m ? "true" : "false");
      root.classList.toggle("has-error", !!m);
      message.replaceChildren();
      if (m && m.line === undefined)
        message.append(h("span", { class: "err-icon", "aria-hidden": "true" }, "✖"), " ", m.message);
      else if (m) {
        const line = m.line!;
        const where = `line ${line}${m.column ? `, column ${m.column}` : ""}`;
        const jump = h(
          "button",
          { type: "button", class: "link", onclick: () => editor.focusAt(line, m.column) },
          where,
        );
        message.append(
          h("span", { class: "err-icon", "aria-hidden": "true" }, "✖"),
          " ",
          jump,
          ": ",
          m.message,
        );
      }
      render();
    },
    focusAt(line, column = 1) {
      const lines = textarea.value.split("\n");
      let pos = 0;
      for (let i = 0; i < Math.min(line - 1, lines.length); i++) pos += lines[i]!.length + 1;
      pos += Math.min(column - 1, lines[line - 1]?.length ?? 0);
      textarea.focus();
      textarea.setSelectionRange(pos, pos);
      const lineHeight = parseFloat(getComputedStyle(textarea).lineHeight) || 20;
      const target = (line - 1) * lineHeight;
      if (
        target < textarea.scrollTop ||
        target > textarea.scrollTop + textarea.clientHeight - 2 * lineHeight
      ) {
        textarea.scrollTop = Math.max(0, target - textarea.clientHeight / 3);
      }
      syncScroll();
    },
  };
  render();
  return editor;
}
