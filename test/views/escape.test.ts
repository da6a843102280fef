// The one HTML escaper, and that hostile names and labels reach the matrix
// page only through it (the frontend validates labels, so the model is
// edited after loading to play an attacker who got past validation).
import { describe, expect, it } from "vitest";
import { escapeHtml } from "../../src/views/escape.js";
import { buildMatrix } from "../../src/views/matrix.js";
import { matrixHtml } from "../../src/views/matrix-html.js";
import { BOOKINFO, readTree, side } from "./helpers.js";

const HOSTILE = `<script>alert("x")</script>' onmouseover='alert(1)&amp;`;

describe("escapeHtml", () => {
  it("escapes the five characters that matter in content and quoted attributes", () => {
    expect(escapeHtml(`<script>alert("x")</script>`)).toBe("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(escapeHtml(`a'b&c`)).toBe("a&#39;b&amp;c");
    expect(escapeHtml("&amp;")).toBe("&amp;amp;");
    expect(escapeHtml("default/ratings-v1 → 9080/TCP")).toBe("default/ratings-v1 → 9080/TCP");
  });

  it("leaves no markup character behind, whatever the input", () => {
    for (let c = 0; c < 256; c++) {
      const out = escapeHtml(`x${String.fromCharCode(c)}y`);
      expect(out).not.toMatch(/[<>"']/);
      expect(out.replace(/&(amp|lt|gt|quot|#39);/g, "")).not.toContain("&");
    }
  });
});

describe("matrix page with hostile names", () => {
  it("a <script> in a label value, a pod name and a policy name stays text", () => {
    const s = side(readTree(BOOKINFO));
    const pods = s.model.cluster.pods.map((p, i) =>
      i === 0 ? { ...p, name: `evil${HOSTILE}`, labels: new Map([...p.labels, ["evil", HOSTILE]]) } : p,
    );
    const policies = s.model.policies.map((p, i) => (i === 0 ? { ...p, name: `pol${HOSTILE}` } : p));
    const model = { ...s.model, cluster: { ...s.model.cluster, pods }, policies };
    const html = matrixHtml(buildMatrix({ model, sources: s.sources }, "pod"), `title ${HOSTILE}`);
    expect(html).not.toContain("<script>alert");
    expect(html).not.toContain("' onmouseover='");
    // The page's own script is the only one.
    expect(html.match(/<script>/g)).toHaveLength(1);
    expect(html).toContain("evil=&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onmouseover=&#39;alert(1)&amp;amp;");
    // The why-lines naming the hostile policy are in the reasons block as JSON escapes, and read back whole.
    const block = /<script type="application\/json" id="reasons">(.*)<\/script>/.exec(html)![1]!;
    expect(block).not.toMatch(/[<>&']/);
    expect((JSON.parse(block) as string[]).some((line) => line.includes(`pol${HOSTILE}`))).toBe(true);
  });
});
