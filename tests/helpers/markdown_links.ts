/**
 * Finds the relative links in Markdown files that lead nowhere: a file that
 * does not exist, or a `#anchor` that no heading of the target file has.
 * Anchors are GitHub's heading slugs, since GitHub is where the README and
 * docs/ are read. External links (any URL scheme) are not followed.
 */
import { posix } from "node:path";

/** One link target as written, with the line it is on (1-based). */
export interface MarkdownLink {
  readonly target: string;
  readonly line: number;
}

/** A link whose file or anchor does not exist. */
export interface BrokenLink extends MarkdownLink {
  readonly file: string;
  readonly problem: string;
}

/** Where the checker reads files; paths are relative to one root, `/`-separated. */
export interface FileSource {
  /** The text of a Markdown file, or undefined when there is none. */
  readText(path: string): string | undefined;
  /** Whether a file or folder exists. */
  exists(path: string): boolean;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const ATX_HEADING = /^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const INLINE_TARGET =
  /\]\(\s*(<[^>\n]*>|[^\s)]+)(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g;
const REFERENCE_DEFINITION = /^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/;
const HTML_TARGET = /\b(?:href|src)\s*=\s*"([^"]*)"/g;
const HTML_ANCHOR = /<a\s[^>]*\b(?:id|name)\s*=\s*"([^"]+)"/g;
const URL_SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/**
 * Each line of `markdown`, with the lines inside fenced code blocks (and
 * their fences) emptied, so that nothing is read from examples.
 */
export function linesOutsideFences(markdown: string): string[] {
  const lines = markdown.split(/\r?\n/);
  const prose: string[] = [];
  let fence: string | undefined;
  for (const line of lines) {
    const opening = FENCE.exec(line)?.[1];
    if (fence !== undefined) {
      // A fence closes with the same character, at least as many times.
      const closes = opening !== undefined && opening[0] === fence[0] &&
        opening.length >= fence.length && line.trim() === opening;
      if (closes) fence = undefined;
      prose.push("");
    } else if (opening !== undefined) {
      fence = opening;
      prose.push("");
    } else {
      prose.push(line);
    }
  }
  return prose;
}

/** `line` with its inline code spans blanked out, keeping columns. */
function withoutCodeSpans(line: string): string {
  return line.replace(
    /(`+)(?:(?!\1)[\s\S])*?\1/g,
    (span) => " ".repeat(span.length),
  );
}

/**
 * Every link target in `markdown` outside code (inline links and images,
 * reference definitions, HTML `href`/`src`), in reading order.
 */
export function extractLinks(markdown: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  linesOutsideFences(markdown).forEach((raw, index) => {
    const text = withoutCodeSpans(raw);
    const found: { column: number; target: string }[] = [];
    for (const match of text.matchAll(INLINE_TARGET)) {
      found.push({ column: match.index, target: unbracket(match[1]) });
    }
    const definition = REFERENCE_DEFINITION.exec(text);
    if (definition) found.push({ column: 0, target: unbracket(definition[1]) });
    for (const match of text.matchAll(HTML_TARGET)) {
      found.push({ column: match.index, target: match[1] });
    }
    found.sort((a, b) => a.column - b.column);
    for (const { target } of found) links.push({ target, line: index + 1 });
  });
  return links;
}

function unbracket(target: string): string {
  return target.startsWith("<") ? target.slice(1, -1) : target;
}

/**
 * GitHub's anchor for a heading: its rendered text in lower case, without
 * punctuation, each space a hyphen (what github-slugger does for ASCII).
 */
export function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1") // links and images: their text
    .replace(/<[^>]+>/g, "") // inline HTML
    .replace(/`/g, "")
    .replace(/\*/g, "");
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

/**
 * Every anchor `markdown` offers: heading slugs, numbered as GitHub numbers
 * repeats (`name`, `name-1`, `name-2`), and explicit `<a id|name="...">`.
 */
export function anchors(markdown: string): Set<string> {
  const found = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of linesOutsideFences(markdown)) {
    const prose = withoutCodeSpans(line);
    for (const match of prose.matchAll(HTML_ANCHOR)) found.add(match[1]);
    const heading = ATX_HEADING.exec(line);
    if (!heading) continue;
    const slug = githubSlug(heading[1] ?? "");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    found.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return found;
}

/** The relative links of the Markdown file `file` that lead nowhere. */
export function brokenLinks(file: string, source: FileSource): BrokenLink[] {
  const markdown = source.readText(file);
  if (markdown === undefined) throw new Error(`${file}: no such file`);
  const broken: BrokenLink[] = [];
  for (const link of extractLinks(markdown)) {
    const problem = linkProblem(file, link.target, source);
    if (problem !== undefined) broken.push({ ...link, file, problem });
  }
  return broken;
}

function linkProblem(
  file: string,
  target: string,
  source: FileSource,
): string | undefined {
  if (URL_SCHEME.test(target) || target.startsWith("//")) return undefined;
  const hash = target.indexOf("#");
  const pathPart = decodeURI(hash === -1 ? target : target.slice(0, hash));
  const anchor = hash === -1
    ? undefined
    : decodeURIComponent(target.slice(hash + 1));
  const path = pathPart === ""
    ? file
    : posix.normalize(posix.join(posix.dirname(file), pathPart))
      .replace(/\/$/, ""); // a folder: `bench/` is `bench`
  if (path.startsWith("../") || path === "..") {
    return `leads outside the repository (${path})`;
  }
  if (!source.exists(path)) return `no file ${path}`;
  // Anchors are checked in Markdown only: GitHub's other anchors (#L12 in
  // code) are not headings.
  if (anchor === undefined || !path.endsWith(".md")) return undefined;
  const text = source.readText(path);
  if (text === undefined) return `cannot read ${path}`;
  if (!anchors(text).has(anchor)) return `no heading #${anchor} in ${path}`;
  return undefined;
}

/** A {@linkcode FileSource} over the files under `root`, read from disk. */
export function diskFiles(root: string): FileSource {
  const absolute = (path: string) => posix.join(root, path);
  return {
    readText(path) {
      try {
        return Deno.readTextFileSync(absolute(path));
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return undefined;
        throw error;
      }
    },
    exists(path) {
      try {
        Deno.statSync(absolute(path));
        return true;
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return false;
        throw error;
      }
    },
  };
}
