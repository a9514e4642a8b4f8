// A scenario's graph as the API keeps it, and the pure edits the flow chart
// makes (each returns a new graph, so undo is a stack of earlier ones).

export type Choice = { label: string; next?: string };
export type Link = { label: string; uri: string };
export type Case = { equals: string; next: string };
export type Card = { title?: string; text: string; image_url?: string; links: Link[] };
export type Target =
  | { kind: 'faq'; id: number }
  | { kind: 'scenario'; id: number }
  | { kind: 'survey'; id: number }
  | { kind: 'liff'; label: string; uri: string };

type Base = { id: string; title?: string };
export type Node =
  | (Base & { type: 'message'; text: string; image_url?: string; links?: Link[]; cards?: Card[]; choices?: Choice[]; next?: string })
  | (Base & { type: 'question'; text: string; key: string; attribute?: string; choices?: Choice[]; next?: string })
  | (Base & { type: 'branch'; key: string; attribute?: string; cases: Case[]; otherwise?: string })
  | (Base & { type: 'jump'; target: Target })
  | (Base & { type: 'handover'; text: string })
  | (Base & { type: 'end'; text?: string });

export type NodeType = Node['type'];
export type Graph = { start: string; nodes: Node[] };

export const NODE_TYPES: NodeType[] = ['message', 'question', 'branch', 'jump', 'handover', 'end'];

/** Every edge: from, to, and what the chart writes on it. */
export function edges(g: Graph): { from: string; to: string; label: string }[] {
  const out: { from: string; to: string; label: string }[] = [];
  for (const n of g.nodes) {
    if (n.type === 'message' || n.type === 'question') {
      for (const c of n.choices ?? []) if (c.next) out.push({ from: n.id, to: c.next, label: c.label });
      if (n.next) out.push({ from: n.id, to: n.next, label: '' });
    } else if (n.type === 'branch') {
      for (const c of n.cases) out.push({ from: n.id, to: c.next, label: `= ${c.equals}` });
      if (n.otherwise) out.push({ from: n.id, to: n.otherwise, label: 'それ以外' });
    }
  }
  return out;
}

/** Layers by distance from the start (unreached nodes last), rows in order of appearance. */
export function layout(g: Graph): Map<string, { x: number; y: number }> {
  const depth = new Map<string, number>();
  const queue = g.nodes.some((n) => n.id === g.start) ? [g.start] : [];
  if (queue.length) depth.set(g.start, 0);
  const out = edges(g);
  while (queue.length) {
    const id = queue.shift()!;
    for (const e of out.filter((x) => x.from === id)) {
      if (!depth.has(e.to) && g.nodes.some((n) => n.id === e.to)) {
        depth.set(e.to, depth.get(id)! + 1);
        queue.push(e.to);
      }
    }
  }
  const deepest = Math.max(0, ...depth.values());
  const rows = new Map<number, number>();
  const at = new Map<string, { x: number; y: number }>();
  for (const n of g.nodes) {
    const d = depth.get(n.id) ?? deepest + 1;
    const row = rows.get(d) ?? 0;
    rows.set(d, row + 1);
    at.set(n.id, { x: 40 + d * 240, y: 40 + row * 120 });
  }
  return at;
}

function freshId(g: Graph, type: NodeType): string {
  for (let i = 1; ; i++) {
    const id = `${type}_${i}`;
    if (!g.nodes.some((n) => n.id === id)) return id;
  }
}

export function blankNode(type: NodeType, id: string): Node {
  switch (type) {
    case 'message':
      return { id, type, text: '' };
    case 'question':
      return { id, type, text: '', key: '回答', choices: [] };
    case 'branch':
      return { id, type, key: '回答', cases: [] };
    case 'jump':
      return { id, type, target: { kind: 'faq', id: 0 } };
    case 'handover':
      return { id, type, text: '担当者におつなぎします。' };
    case 'end':
      return { id, type, text: '' };
  }
}

/** Adds a node of `type`; with `after`, the node `after` goes on to it. */
export function addNode(g: Graph, type: NodeType, after?: string): { graph: Graph; id: string } {
  const id = freshId(g, type);
  let graph: Graph = { ...g, nodes: [...g.nodes, blankNode(type, id)] };
  if (!g.nodes.length) graph = { ...graph, start: id };
  if (after) graph = connect(graph, after, id);
  return { graph, id };
}

/** `from` goes on to `to`: a new choice when it offers choices (it waits for a tap), else its `next` (`otherwise` for a branch). */
export function connect(g: Graph, from: string, to: string): Graph {
  return {
    ...g,
    nodes: g.nodes.map((n) => {
      if (n.id !== from) return n;
      if (n.type === 'message' && n.choices?.length) {
        return { ...n, choices: [...n.choices, { label: `選択肢${n.choices.length + 1}`, next: to }] };
      }
      if (n.type === 'message' || n.type === 'question') return { ...n, next: to };
      if (n.type === 'branch') return { ...n, otherwise: to };
      return n;
    }),
  };
}

/** Removes a node and every edge into it (they become loose ends publishing reports). */
export function deleteNode(g: Graph, id: string): Graph {
  const drop = (to?: string) => (to === id ? undefined : to);
  const nodes = g.nodes
    .filter((n) => n.id !== id)
    .map((n): Node => {
      if (n.type === 'message' || n.type === 'question') {
        return { ...n, next: drop(n.next), choices: n.choices?.map((c) => ({ ...c, next: drop(c.next) })) };
      }
      if (n.type === 'branch') return { ...n, otherwise: drop(n.otherwise), cases: n.cases.filter((c) => c.next !== id) };
      return n;
    });
  return { start: g.start === id ? (nodes[0]?.id ?? '') : g.start, nodes };
}

export function replaceNode(g: Graph, id: string, node: Node): Graph {
  // A renamed node keeps its edges.
  const rename = (to?: string) => (to === id ? node.id : to);
  const nodes = g.nodes.map((n): Node => {
    const m = n.id === id ? node : n;
    if (node.id === id) return m;
    if (m.type === 'message' || m.type === 'question') {
      return { ...m, next: rename(m.next), choices: m.choices?.map((c) => ({ ...c, next: rename(c.next) })) };
    }
    if (m.type === 'branch') return { ...m, otherwise: rename(m.otherwise), cases: m.cases.map((c) => ({ ...c, next: rename(c.next) ?? '' })) };
    return m;
  });
  return { start: g.start === id ? node.id : g.start, nodes };
}

/** What the chart shows in a node's box. */
export function caption(n: Node): string {
  if (n.title) return n.title;
  if ('text' in n && n.text) return n.text.slice(0, 18);
  return n.id;
}

export function matches(n: Node, q: string): boolean {
  const s = q.trim().toLowerCase();
  if (!s) return false;
  return [n.id, n.title ?? '', 'text' in n ? (n.text ?? '') : ''].some((x) => x.toLowerCase().includes(s));
}
