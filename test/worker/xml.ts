// A small XML reader for tests that check a file Chorus writes (the SEPA payment file): elements, attributes and
// text, entities decoded, and every tag closed by its own name. It throws on what is not well-formed.
export type XmlElement = { name: string; attributes: Record<string, string>; children: XmlElement[]; text: string };

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const decode = (raw: string) => {
  if (/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);)/i.test(raw)) throw new Error(`bare & in ${raw}`);
  if (raw.includes('<')) throw new Error(`bare < in ${raw}`);
  return raw.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (_, e: string) => (e[0] === '#' ? String.fromCodePoint(Number(e[1] === 'x' ? `0${e.slice(1)}` : e.slice(1))) : ENTITIES[e]!));
};

export function parseXml(xml: string): XmlElement {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '').replace(/<!--[\s\S]*?-->/g, '');
  const root: XmlElement = { name: '#root', attributes: {}, children: [], text: '' };
  const stack = [root];
  const tag = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"]*")*)\s*(\/?)>/g;
  let at = 0;
  for (let m = tag.exec(body); m; m = tag.exec(body)) {
    const between = body.slice(at, m.index);
    stack[stack.length - 1]!.text += decode(between);
    at = tag.lastIndex;
    const [, closing, name, attrs, selfClosing] = m;
    if (closing) {
      const open = stack.pop()!;
      if (open.name !== name) throw new Error(`</${name}> closes <${open.name}>`);
      continue;
    }
    const attributes: Record<string, string> = {};
    for (const a of attrs!.matchAll(/([\w:.-]+)="([^"]*)"/g)) attributes[a[1]!] = decode(a[2]!);
    const element: XmlElement = { name: name!, attributes, children: [], text: '' };
    stack[stack.length - 1]!.children.push(element);
    if (!selfClosing) stack.push(element);
  }
  if (body.slice(at).trim() !== '' || stack.length !== 1 || root.children.length !== 1) throw new Error('not one well-formed document');
  return root.children[0]!;
}

/** The elements at a path of names under `from` ("PmtInf/CdtTrfTxInf"). */
export function xmlAll(from: XmlElement, path: string): XmlElement[] {
  let level = [from];
  for (const name of path.split('/')) level = level.flatMap((e) => e.children.filter((c) => c.name === name));
  return level;
}

/** The text of the one element at `path` (trimmed); throws when there is not exactly one. */
export function xmlText(from: XmlElement, path: string): string {
  const found = xmlAll(from, path);
  if (found.length !== 1) throw new Error(`${found.length} elements at ${path}`);
  return found[0]!.text.trim();
}
