// The one HTML-escaping function: every name, label, policy and position that
// reaches the HTML page goes through it. Names and labels are validated by the
// frontend, but the page must be safe even if that ever changes (hostile
// input: a label value `<script>` must stay text).

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text safe in element content and in double- or single-quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}
