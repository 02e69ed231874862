// Parse Mermaid diagrams with mermaid's own parser - what GitHub renders job summaries and Markdown
// with. Reads a JSON array of diagram texts on stdin; writes a JSON array of results, one per
// diagram: {"ok": true, "type": "xychart"} or {"ok": false, "error": "<first lines of the error>"}.
// mermaid's sanitizer (DOMPurify) needs a DOM: jsdom gives it one, nothing is rendered.
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");

let input = "";
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const text of JSON.parse(input)) {
  try {
    const parsed = await mermaid.parse(text);
    results.push({ ok: true, type: parsed.diagramType });
  } catch (error) {
    results.push({ ok: false, error: String(error.message || error).split("\n").slice(0, 3).join(" | ") });
  }
}
process.stdout.write(JSON.stringify(results));
