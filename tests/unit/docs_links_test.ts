/**
 * Every relative link in README.md and docs/*.md leads to a file that exists
 * and, where it names an #anchor, to a heading of that file; and the README
 * links to every page of docs/, so that any topic is one click away. The
 * checker itself is tested first, on synthetic Markdown.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  anchors,
  brokenLinks,
  diskFiles,
  extractLinks,
  type FileSource,
  githubSlug,
} from "../helpers/markdown_links.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** A {@linkcode FileSource} over an in-memory set of files. */
function memoryFiles(files: Record<string, string>): FileSource {
  const folders = new Set(
    Object.keys(files).flatMap((path) => {
      const parts = path.split("/").slice(0, -1);
      return parts.map((_, i) => parts.slice(0, i + 1).join("/"));
    }),
  );
  return {
    readText: (path) => files[path],
    exists: (path) => path in files || folders.has(path),
  };
}

Deno.test("githubSlug: lower case, punctuation dropped, spaces become hyphens", () => {
  assert.equal(githubSlug("Limits and security"), "limits-and-security");
  assert.equal(
    githubSlug("`deno serve --parallel` (Deno)"),
    "deno-serve---parallel-deno",
  );
  assert.equal(
    githubSlug("`--workers N` (Bun, Linux)"),
    "--workers-n-bun-linux",
  );
  assert.equal(
    githubSlug(
      "Why `npm:@logtape/logtape` and `node:util` `parseArgs`, not `@std/*`",
    ),
    "why-npmlogtapelogtape-and-nodeutil-parseargs-not-std",
  );
  assert.equal(
    githubSlug("The [page](x.md) and DENORT_BIN"),
    "the-page-and-denort_bin",
  );
});

Deno.test("anchors: repeated headings are numbered, code blocks are not headings", () => {
  const markdown = [
    "# Title",
    "## Notes",
    "```sh",
    "# a shell comment, not a heading",
    "```",
    "## Notes",
    '<a id="custom"></a>',
  ].join("\n");
  assert.deepEqual(
    [...anchors(markdown)].sort(),
    ["custom", "notes", "notes-1", "title"],
  );
});

Deno.test("extractLinks: inline, image, reference and HTML links; none from code", () => {
  const markdown = [
    "See [usage](docs/usage.md#exit-codes) and ![chart](bench/chart.svg).",
    "Not `[code](nowhere.md)`, nor:",
    "```",
    "[fenced](nowhere.md)",
    "```",
    '[ref]: docs/client.md "title"',
    '<img src="logo.svg"> and [external](https://example.com/x.md)',
  ].join("\n");
  assert.deepEqual(extractLinks(markdown), [
    { target: "docs/usage.md#exit-codes", line: 1 },
    { target: "bench/chart.svg", line: 1 },
    { target: "docs/client.md", line: 6 },
    { target: "logo.svg", line: 7 },
    { target: "https://example.com/x.md", line: 7 },
  ]);
});

Deno.test("brokenLinks: reports a missing file and a missing heading, nothing else", () => {
  const files = memoryFiles({
    "README.md": [
      "# Front page",
      "- [usage](docs/usage.md)",
      "- [exit codes](docs/usage.md#exit-codes)",
      "- [here](#front-page)",
      "- [gone](docs/missing.md)",
      "- [no such heading](docs/usage.md#no-such-heading)",
      "- [bench](bench/)",
      "- [web](https://example.com/missing.md)",
      "- `[in code](docs/missing.md)`",
    ].join("\n"),
    "docs/usage.md":
      "# Usage\n\n## Exit codes\n\n[back](../README.md#front-page)\n",
    "bench/README.md": "# bench\n",
  });
  assert.deepEqual(brokenLinks("README.md", files), [
    {
      file: "README.md",
      line: 5,
      target: "docs/missing.md",
      problem: "no file docs/missing.md",
    },
    {
      file: "README.md",
      line: 6,
      target: "docs/usage.md#no-such-heading",
      problem: "no heading #no-such-heading in docs/usage.md",
    },
  ]);
  assert.deepEqual(brokenLinks("docs/usage.md", files), []);
});

Deno.test("brokenLinks: a link out of the repository is broken", () => {
  const files = memoryFiles({ "docs/a.md": "[up](../../elsewhere.md)\n" });
  assert.deepEqual(brokenLinks("docs/a.md", files).map((b) => b.problem), [
    "leads outside the repository (../elsewhere.md)",
  ]);
});

/** README.md and every Markdown page in docs/. */
function documentationFiles(): string[] {
  const pages = [...Deno.readDirSync(`${ROOT}docs`)]
    .filter((entry) => entry.isFile && entry.name.endsWith(".md"))
    .map((entry) => `docs/${entry.name}`)
    .sort();
  return ["README.md", ...pages];
}

Deno.test("README.md and docs/*.md: every relative link and anchor resolves", () => {
  const source = diskFiles(ROOT);
  const files = documentationFiles();
  assert.ok(files.length > 1, "docs/ holds no Markdown pages");
  const broken = files.flatMap((file) => brokenLinks(file, source));
  assert.deepEqual(
    broken.map((b) => `${b.file}:${b.line}: ${b.target}: ${b.problem}`),
    [],
  );
});

Deno.test("README.md links to every page of docs/", () => {
  const readme = Deno.readTextFileSync(`${ROOT}README.md`);
  const linked = new Set(
    extractLinks(readme).map(({ target }) => target.split("#")[0]),
  );
  const unlinked = documentationFiles()
    .slice(1)
    .filter((page) => !linked.has(page));
  assert.deepEqual(unlinked, []);
});
