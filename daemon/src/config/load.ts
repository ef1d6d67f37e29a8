/**
 * Reads a YAML config file into plain data while keeping every node's position,
 * so that schema and semantic problems can point at FILE:LINE:COLUMN of the node they are about.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node, type Pair } from 'yaml';
import type { PathSegment } from './problems.js';

export interface Position {
  line: number;
  column: number;
}

export interface ParsedYaml {
  /** The data, or undefined when the text had errors. */
  data: unknown;
  /** YAML syntax problems (position and message), empty when the text parsed. */
  syntaxErrors: { position: Position; message: string }[];
  /** Finds where a config path sits in the file. */
  locate(path: readonly PathSegment[], target?: 'key' | 'value'): Position;
}

export function parseYaml(text: string): ParsedYaml {
  const lineCounter = new LineCounter();
  // uniqueKeys (the default) makes a repeated key an error rather than silently keeping the last one.
  const docs = parseAllDocuments(text, { lineCounter, keepSourceTokens: true, prettyErrors: false, uniqueKeys: true });
  const pos = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const list: Document.Parsed[] = Array.isArray(docs) ? docs : [];
  const syntaxErrors: ParsedYaml['syntaxErrors'] = [];
  if (!Array.isArray(docs)) {
    // An EmptyStream: only comments or nothing at all.
    return { data: null, syntaxErrors, locate: () => ({ line: 1, column: 1 }) };
  }
  // One syntax error usually sets off follow-on errors on the same line: keep the first per line.
  const linesWithError = new Set<number>();
  for (const doc of list) {
    for (const err of doc.errors) {
      let offset = skipSpaces(text, err.pos[0]);
      let message = cleanYamlMessage(err.message);
      // yaml reports an unclosed quote at the end of the file; the user needs the quote that was opened.
      const quote = /^Missing closing (["'])quote/.exec(err.message)?.[1];
      if (quote) {
        const opened = text.lastIndexOf(quote, err.pos[0] - 1);
        if (opened >= 0) {
          offset = opened;
          message = `YAML syntax: the ${quote} quote opened here is never closed`;
        }
      }
      const position = pos(offset);
      if (linesWithError.has(position.line)) continue;
      linesWithError.add(position.line);
      syntaxErrors.push({ position, message });
    }
  }
  if (list.length > 1 && syntaxErrors.length === 0) {
    const second = list[1]!;
    const start = second.range?.[0] ?? 0;
    syntaxErrors.push({
      position: pos(startOfDocumentMarker(text, start)),
      message: 'the file holds more than one YAML document (a second "---"); put one config per file',
    });
  }
  const doc = list[0];
  let data: unknown;
  if (syntaxErrors.length === 0 && doc) {
    try {
      // maxAliasCount guards against alias bombs ("billion laughs"); toJS throws when it is exceeded.
      data = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      syntaxErrors.push({ position: pos(0), message: `YAML: ${(err as Error).message}` });
    }
  }

  const locate = (path: readonly PathSegment[], target: 'key' | 'value' = 'value'): Position => {
    if (!doc) return { line: 1, column: 1 };
    let node: unknown = doc.contents;
    let lastPair: Pair | undefined;
    let best: number = (doc.contents as Node | null)?.range?.[0] ?? 0;
    for (const seg of path) {
      lastPair = undefined;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(seg));
        if (!pair) break;
        lastPair = pair;
        const keyStart = (pair.key as Node | null)?.range?.[0];
        if (keyStart !== undefined) best = keyStart;
        node = pair.value;
        const valueRange = (pair.value as Node | null)?.range;
        // An empty value (`storage:` with nothing after it) has a zero-width node at the line's end: the key is clearer.
        if (valueRange && valueRange[0] !== valueRange[1] && target === 'value') best = valueRange[0];
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg] as Node | undefined;
        if (!item) break;
        node = item;
        if (item.range) best = item.range[0];
      } else {
        break;
      }
    }
    // A key whose value is missing (`tokenUrl:` alone) has a null value node: point at the key.
    if (target === 'key' && lastPair) {
      const keyStart = (lastPair.key as Node | null)?.range?.[0];
      if (keyStart !== undefined) best = keyStart;
    }
    return pos(best);
  };
  return { data, syntaxErrors, locate };
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

/** The yaml package's messages end with "at line X, column Y" and a code excerpt; we print our own position. */
function cleanYamlMessage(message: string): string {
  const firstLine = message.split('\n')[0] ?? message;
  return `YAML syntax: ${firstLine.replace(/ at line \d+, column \d+:?$/, '')}`;
}

/** Point at the "---" that starts the extra document rather than at its first node. */
function startOfDocumentMarker(text: string, docStart: number): number {
  const marker = text.lastIndexOf('---', docStart);
  return marker >= 0 ? marker : docStart;
}

/** The yaml package may place an error at the start of a line's indentation: point at the node instead. */
function skipSpaces(text: string, offset: number): number {
  let i = offset;
  while (text[i] === ' ') i++;
  return i;
}
