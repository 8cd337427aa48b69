/**
 * The page's generated module (lib/http/page_assets.generated.ts) is what
 * scripts/gen_page.ts makes of web/ now, and the page's policy lets exactly
 * its inline script and style run.
 */
import assert from "node:assert/strict";
import {
  cspHash,
  GENERATED,
  generatePageModule,
} from "../../scripts/gen_page.ts";
import { PAGE_CSP, PAGE_HTML } from "../../lib/http/page.ts";

Deno.test("page assets: the generated module matches web/ (else run `deno task page`)", async () => {
  const committed = await Deno.readTextFile(GENERATED);
  const fresh = await generatePageModule();
  assert.ok(
    committed === fresh,
    "lib/http/page_assets.generated.ts is not what `deno task page` makes of web/ (stale, or edited by hand): run `deno task page` and commit the result.",
  );
});

Deno.test("page assets: the CSP allows the page's one inline script and one inline style, by hash", async () => {
  const inline = (tag: string) =>
    [...PAGE_HTML.matchAll(new RegExp(`<${tag}>(.*?)</${tag}>`, "gs"))]
      .map((match) => match[1]);
  const scripts = inline("script");
  const styles = inline("style");
  assert.equal(scripts.length, 1);
  assert.equal(styles.length, 1);
  const policy = new Map(
    PAGE_CSP.split("; ").map((directive) => {
      const [name, ...sources] = directive.split(" ");
      return [name, sources.join(" ")];
    }),
  );
  assert.equal(policy.get("script-src"), await cspHash(scripts[0]));
  assert.equal(policy.get("style-src"), await cspHash(styles[0]));
  // No file is loaded: nothing in the page points at the sources in web/.
  assert.doesNotMatch(PAGE_HTML, /<script src|<link rel="stylesheet"/);
});
